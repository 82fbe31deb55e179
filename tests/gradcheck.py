"""The oracle: central finite differences in float64 (and HIPS autograd where the
program is written in autograd.numpy). Gradients are never checked against
s2sgrad's own output alone."""
import numpy as np

import s2sgrad
from s2sgrad import Tensor, nn

EPS = 1e-6


def _as_np(x):
    return x.asnumpy() if isinstance(x, Tensor) else np.asarray(x)


def _flatten(out):
    if isinstance(out, (tuple, list)):
        return [np.asarray(_as_np(o), dtype=np.float64) for o in out]
    return [np.asarray(_as_np(out), dtype=np.float64)]


class OracleUnreliable(AssertionError):
    """Central differences at two step sizes disagree: the program is too ill-conditioned
    (e.g. 2**20 amplification into a saturating tanh) for finite differences to judge it."""


def numeric_grads(fn, args, sens, wrt, eps=EPS):
    """d/d args[i] of sum(sens * fn(*args)) for i in wrt, by central differences."""
    def scalar(a):
        outs = _flatten(fn(*a))
        return sum(float(np.sum(s * o)) for s, o in zip(sens, outs))
    grads = []
    for i in wrt:
        x = np.array(_as_np(args[i]), dtype=np.float64)
        g = np.zeros_like(x)
        for idx in np.ndindex(x.shape):
            plus, minus = x.copy(), x.copy()
            plus[idx] += eps
            minus[idx] -= eps
            a_plus, a_minus = list(args), list(args)
            a_plus[i], a_minus[i] = Tensor(plus), Tensor(minus)
            g[idx] = (scalar(a_plus) - scalar(a_minus)) / (2 * eps)
        grads.append(g)
    return grads


def random_sens(out, rng):
    outs = _flatten(out)
    return [rng.standard_normal(o.shape) for o in outs]


def check_grads(fn, *args, rtol=1e-5, atol=1e-6, seed=0, eager=None, target=None, check_oracle=False):
    """Compare ForwardValueAndGrad(get_all=True, sens_param=True) of `fn` with finite
    differences of the eager function, for every float input. Returns s2sgrad's grads.
    `target="python"` runs the generated code uncompiled (no Numba compile).
    `check_oracle=True` first compares central differences at two step sizes and raises
    OracleUnreliable where they disagree (for generated programs, which can be ill-conditioned)."""
    rng = np.random.default_rng(seed)
    eager = eager or fn
    args = [Tensor(a) if isinstance(a, np.ndarray) else a for a in args]
    expected_out = eager(*args)
    sens = random_sens(expected_out, rng)
    sens_arg = tuple(Tensor(s) for s in sens) if isinstance(expected_out, tuple) else Tensor(sens[0])
    grad_fn = nn.ForwardValueAndGrad(s2sgrad.jit(fn, target=target) if target else fn, get_all=True,
                                     sens_param=True)
    out, grads = grad_fn(*args, sens_arg)
    for got, want in zip(_flatten(out), _flatten(expected_out)):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-9)
    tensor_pos = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
    float_pos = [i for i in tensor_pos if np.issubdtype(args[i].asnumpy().dtype, np.floating)]
    want = numeric_grads(eager, args, sens, float_pos)
    if check_oracle:
        for w, coarse in zip(want, numeric_grads(eager, args, sens, float_pos, eps=EPS * 10)):
            if not np.allclose(w, coarse, rtol=rtol, atol=atol):
                raise OracleUnreliable(f"central differences at eps {EPS} and {EPS * 10} disagree")
    by_pos = dict(zip(tensor_pos, grads))
    for i, w in zip(float_pos, want):
        got = by_pos[i].asnumpy()
        assert got.shape == w.shape, f"input {i}: gradient shape {got.shape} != {w.shape}"
        np.testing.assert_allclose(got, w, rtol=rtol, atol=atol, err_msg=f"gradient of input {i}")
    return grads


def check_grads_compiled_too(fn, *args, rtol, atol, agree_rtol, agree_atol=0.0):
    """check_grads on the python target (the generated source run uncompiled) and compiled,
    and the two gradients equal to agree_rtol / agree_atol; returns the uncompiled ones."""
    uncompiled = check_grads(fn, *args, target="python", rtol=rtol, atol=atol)
    compiled = check_grads(fn, *args, rtol=rtol, atol=atol)
    for u, c in zip(uncompiled, compiled):
        np.testing.assert_allclose(c.asnumpy(), u.asnumpy(), rtol=agree_rtol, atol=agree_atol)
    return uncompiled


def source_of(fn, *args, **options):
    """The generated source of ForwardValueAndGrad(fn, get_all=True) for these arguments
    (python target: no Numba compile)."""
    grad = nn.ForwardValueAndGrad(s2sgrad.jit(fn, target="python"), get_all=True, **options)
    grad(*[Tensor(a) if isinstance(a, np.ndarray) else a for a in args])
    return s2sgrad.source(grad)
