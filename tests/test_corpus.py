"""The program corpus (tests/corpus): every program differentiated through the Numba
backend and checked against float64 central finite differences; a subset also against
HIPS autograd twins, and Cells with `check_params` on their Parameter gradients."""
import numpy as np
import pytest

from s2sgrad import nn, Tensor
from gradcheck import EPS, check_grads, random_sens, _as_np, _flatten
from corpus import all_cases

CASES = all_cases()


def _tensors(inputs):
    return [Tensor(a) if isinstance(a, np.ndarray) else a for a in inputs]


def _sens_arg(out, sens):
    return tuple(Tensor(s) for s in sens) if isinstance(out, tuple) else Tensor(sens[0])


def check_against_autograd(program, twin, inputs, seed=1, rtol=1e-7, atol=1e-9):
    """s2sgrad's vector-Jacobian product against autograd's, for the same random sens."""
    import autograd

    args = _tensors(inputs)
    out = program(*args)
    sens = random_sens(out, np.random.default_rng(seed))
    _, grads = nn.ForwardValueAndGrad(program, get_all=True, sens_param=True)(*args, _sens_arg(out, sens))
    tensor_pos = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
    by_pos = dict(zip(tensor_pos, grads))
    float_pos = [i for i in tensor_pos if np.issubdtype(np.asarray(inputs[i]).dtype, np.floating)]

    def loss(*raw):
        outs = twin(*raw)
        outs = outs if isinstance(outs, tuple) else (outs,)
        return sum(autograd.numpy.sum(s * o) for s, o in zip(sens, outs))

    twin_out = _flatten(twin(*inputs))
    for got, want in zip(_flatten(out), twin_out):
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12, err_msg="twin computes another value")
    for i in float_pos:
        want = autograd.grad(loss, i)(*inputs)
        got = by_pos[i].asnumpy()
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, err_msg=f"autograd: gradient of input {i}")


def check_param_grads(cell, inputs, seed=2, rtol=1e-5, atol=1e-6):
    """Parameter gradients (ForwardValueAndGrad get_by_list) against central differences
    of the eager cell, perturbing each Parameter with set_data."""
    args = _tensors(inputs)
    params = list(cell.trainable_params())
    assert params, "check_params on a cell without Parameters"
    out = cell(*args)
    sens = random_sens(out, np.random.default_rng(seed))
    fvag = nn.ForwardValueAndGrad(cell, weights=params, get_by_list=True, sens_param=True)
    value, grads = fvag(*args, _sens_arg(out, sens))
    for got, want in zip(_flatten(value), _flatten(out)):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-9)
    assert len(grads) == len(params)

    def scalar():
        return sum(float(np.sum(s * o)) for s, o in zip(sens, _flatten(cell(*args))))

    for p, g in zip(params, grads):
        base = _as_np(p).copy()
        want = np.zeros_like(base, dtype=np.float64)
        try:
            for idx in np.ndindex(base.shape):
                plus, minus = base.copy(), base.copy()
                plus[idx] += EPS
                minus[idx] -= EPS
                p.set_data(plus)
                f_plus = scalar()
                p.set_data(minus)
                f_minus = scalar()
                want[idx] = (f_plus - f_minus) / (2 * EPS)
        finally:
            p.set_data(base)
        got = g.asnumpy()
        assert got.shape == want.shape, f"parameter {p.name}: gradient shape {got.shape} != {want.shape}"
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, err_msg=f"gradient of parameter {p.name}")


def test_corpus_is_large_enough():
    assert len(CASES) >= 160
    assert sum(c.autograd_twin is not None for c in CASES) >= 25
    assert sum(c.check_params for c in CASES) >= 15


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_program_gradient(case):
    inputs = case.inputs_fn()
    check_grads(case.program, *inputs)
    if case.autograd_twin is not None:
        check_against_autograd(case.program, case.autograd_twin, inputs)
    if case.check_params:
        check_param_grads(case.program, inputs)
