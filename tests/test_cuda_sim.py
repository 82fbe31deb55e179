"""The CUDA target, under Numba's CUDA simulator (NUMBA_ENABLE_CUDASIM=1) unless
S2SGRAD_TEST_REAL_GPU=1 (tools/gpu_check.py) runs it on a GPU.

Every array-level primitive and every array-level program of the corpus runs on the
device and must match the same generated program run by the `python` backend (the
CPU kernels, uncompiled: the reference the `cpu` backend is itself tested against)
to 1e-5 in float32; the MLP step is also compared with the `cpu` backend. Corpus
programs with element-level code must be refused at the user's line. Transfers are
counted: a step with device-resident inputs and Parameters makes none."""
import ast
import copy
import os
import re
import sys

import numpy as np
import pytest


def _cuda_under_test():
    """numba.cuda in simulator mode (the env var is read when numba's config loads, so
    reload it; restore the environment afterwards so that nothing else sees it)."""
    import numba
    real_gpu = os.environ.get("S2SGRAD_TEST_REAL_GPU") == "1"
    if not real_gpu and "numba.cuda" not in sys.modules:
        saved = os.environ.get("NUMBA_ENABLE_CUDASIM")
        os.environ["NUMBA_ENABLE_CUDASIM"] = "1"
        numba.config.reload_config()
        from numba import cuda  # noqa: F401  (imported in simulator mode)
        if saved is None:
            del os.environ["NUMBA_ENABLE_CUDASIM"]
        else:
            os.environ["NUMBA_ENABLE_CUDASIM"] = saved
        numba.config.reload_config()
    import s2sgrad.cuda as sc
    if not real_gpu and not sc.SIMULATOR:
        pytest.fail("numba.cuda was imported without the simulator before this module; run "
                    "tests/test_cuda_sim.py first or set NUMBA_ENABLE_CUDASIM=1", pytrace=False)
    return sc


sc = _cuda_under_test()

from s2sgrad import compile as compile_stage  # noqa: E402
from s2sgrad import nn, ops, Tensor, Parameter, ParameterTuple  # noqa: E402
from s2sgrad.grad import GradFunction  # noqa: E402
from s2sgrad.cuda.residency import DeviceResident, release  # noqa: E402
from corpus import all_cases  # noqa: E402
import test_primitive_grads as prim1  # noqa: E402
import test_more_primitives as prim2  # noqa: E402

RTOL = ATOL = 1e-5


def f32(a):
    return a.astype(np.float32) if isinstance(a, np.ndarray) and a.dtype == np.float64 else a


def host(x):
    return np.asarray(x.asnumpy() if isinstance(x, Tensor) else x, dtype=np.float64)


def flat(x):
    if isinstance(x, (tuple, list)):
        return [y for e in x for y in flat(e)]
    return [x]


def assert_close(got, want, what):
    got, want = flat(got), flat(want)
    assert len(got) == len(want), what
    for i, (g, w) in enumerate(zip(got, want)):
        g, w = host(g), host(w)
        assert g.shape == w.shape, f"{what} #{i}: shape {g.shape} != {w.shape}"
        np.testing.assert_allclose(g, w, rtol=RTOL, atol=ATOL, err_msg=f"{what} #{i}")


def run_both(program, inputs, seed=0):
    """(python-backend result, cuda result, cuda GradFunction) of ForwardValueAndGrad(get_all,
    sens_param) on the same generated source, with one random sens; the CUDA run reuses the
    transpiled program. Element-level programs must be refused instead: then None."""
    args = [Tensor(a) if isinstance(a, np.ndarray) else a for a in inputs]
    out = program(*args)
    rng = np.random.default_rng(seed)
    sens = tuple(Tensor(f32(rng.standard_normal(np.shape(host(o))))) for o in flat(out))
    sens = sens if isinstance(out, tuple) else sens[0]
    ref = GradFunction(program, None, True, False, True, backend="python")
    want = ref(*args, sens)
    if element_level(ref.last.source):
        with pytest.raises(sc.ElementLevelError, match="element-level code, not a GPU workload"):
            compile_stage.load(ref.last.source, "cuda")
        return None
    dev = GradFunction(program, None, True, False, True, backend="cuda")
    dev._build = lambda arrays: _on_cuda(ref.last)
    got = dev(*args, sens)
    return want, got, dev


def _on_cuda(entry):
    """The python backend's compiled entry, bound to the CUDA target instead."""
    new = copy.copy(entry)
    new.module = compile_stage.load(entry.source, "cuda")
    new.fn = new.module.value_and_grad
    new.workspace = tuple(np.empty(64, w.dtype) for w in entry.workspace)
    return new


# -- every array-level primitive ------------------------------------------------------------

def f_sce(logits, labels):
    return ops.SoftmaxCrossEntropyWithLogits()(logits, labels)[0]


def f_sparse_sce(logits, labels):
    return ops.SparseSoftmaxCrossEntropyWithLogits()(logits, labels)


def f_one_hot_mul(x, labels):
    return ops.OneHot()(labels, 4, Tensor(1.0, dtype=np.float32), Tensor(0.0, dtype=np.float32)) * x


def f_slices(x, y):
    """Basic slicing: ranges, steps (negative too), integers with slices; the backward
    accumulates into the slices of the adjoint."""
    z = x[:, 1:3] * y[0, :2]
    w = x[::2, ::-1] * x[-1, :]
    return np.sum(z * z) + np.sum(x[1:, :]) + np.sum(w * w)


_GELU_TANH, _GELU_ERF = ops.GeLU(), ops.GeLU(approximate=False)


def f_gelu(x):
    return _GELU_TANH(x) * _GELU_ERF(x)


_rng = np.random.default_rng(3)
EXTRA = [
    ("gelu, both forms", f_gelu, (_rng.standard_normal((3, 4)),)),
    ("basic slicing", f_slices, (_rng.standard_normal((3, 4)), _rng.standard_normal((2, 4)))),
    ("softmax_cross_entropy", f_sce, (_rng.standard_normal((3, 4)), np.eye(4)[[0, 2, 1]])),
    ("sparse_softmax_cross_entropy", f_sparse_sce, (_rng.standard_normal((3, 4)), np.array([0, 3, 1], np.int32))),
    ("one_hot", f_one_hot_mul, (_rng.standard_normal((3, 4)), np.array([0, 3, 1], np.int32))),
    ("matmul multi-tile", prim1._mm(False, True), (_rng.standard_normal((9, 6)), _rng.standard_normal((7, 6)))),
]
PRIMITIVES = prim1.CASES + prim2.CASES + EXTRA


@pytest.mark.parametrize("name,fn,args", PRIMITIVES, ids=[c[0] for c in PRIMITIVES])
def test_primitive_on_cuda_matches_cpu_kernels(name, fn, args):
    result = run_both(fn, [f32(a) for a in args])
    assert result is not None, f"{name}: refused as element-level"
    assert_close(result[1], result[0], name)


# -- the corpus -------------------------------------------------------------------------------

def element_level(source):
    """Whether generated source indexes array elements (the CUDA target's refusal
    criterion, restated independently of s2sgrad.cuda.transform): a subscript other than
    a shape's, a tuple's (residuals, sens), a host-side scalar tape's, or an array-level
    slice (an index with a `:`) that is read or accumulated into with `+=`."""
    def has_slice(index):
        return any(isinstance(p, ast.Slice) for p in (index.elts if isinstance(index, ast.Tuple) else [index]))

    for fn in ast.parse(source).body:
        if not isinstance(fn, ast.FunctionDef) or fn.name == "value_and_grad":
            continue
        accumulated = {id(n.target) for n in ast.walk(fn) if isinstance(n, ast.AugAssign) and isinstance(n.op, ast.Add)}
        for node in ast.walk(fn):
            if isinstance(node, ast.Subscript):
                base = node.value
                if isinstance(base, ast.Attribute) and base.attr == "shape":
                    continue
                if isinstance(base, ast.Name) and (base.id in ("residuals", "sens") or base.id.startswith("tape_")):
                    continue
                if has_slice(node.slice) and (isinstance(node.ctx, ast.Load) or id(node) in accumulated):
                    continue
                return True
    return False


CASES = [c for c in all_cases() if c.feature != "elements"]   # "elements": element-level by design,
ELEMENTS = [c for c in all_cases() if c.feature == "elements"][:3]   # three checked for the refusal


@pytest.fixture
def float32_program():
    """Puts a case's Parameters in float32 (and back to the host, as they were, afterwards:
    the corpus programs are shared with tests/test_corpus.py)."""
    saved = []

    def convert(case, dtype=np.float32):
        params = list(case.program.trainable_params()) if hasattr(case.program, "trainable_params") else []
        for p in params:
            if not saved or len(saved) < len(params):
                saved.append((p, np.array(p._data, copy=True)))
            p._data = np.array(p._data, dtype=dtype)
        return [f32(a) for a in case.inputs_fn()] if dtype == np.float32 else list(case.inputs_fn())
    yield convert
    for p, data in saved:
        release(p)
        p._data = data


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_corpus_program_on_cuda(case, float32_program):
    """float32, unless the program's own constants pin float64: then both targets run float64."""
    from s2sgrad.errors import ShapeError
    try:
        result = run_both(case.program, float32_program(case))
    except ShapeError:
        result = run_both(case.program, float32_program(case, np.float64))
    if result is not None:
        want, got, _ = result
        assert_close(got, want, case.name)


@pytest.mark.parametrize("case", ELEMENTS, ids=[c.name for c in ELEMENTS])
def test_element_level_code_is_refused_at_the_users_line(case):
    args = [Tensor(a) if isinstance(a, np.ndarray) else a for a in case.inputs_fn()]
    with pytest.raises(sc.ElementLevelError) as info:
        GradFunction(case.program, None, True, False, False, backend="cuda")(*args)
    err = info.value
    assert err.loc is not None and err.loc.filename.endswith(os.path.join("corpus", "elements.py"))
    text = str(err)
    assert "not a GPU workload" in text and "CPU target" in text and "^" in text


def test_the_corpus_has_array_level_programs_on_cuda():
    """Guards the classification above: most non-element programs are array-level."""
    assert len(CASES) >= 150


# -- the MLP step: fusion, residency, transfers ---------------------------------------------

class MLP(nn.Cell):
    def __init__(self):
        super().__init__()
        self.l1 = nn.Dense(6, 10)
        self.l2 = nn.Dense(10, 3)
        self.relu = nn.ReLU()

    def construct(self, x):
        return self.l2(self.relu(self.l1(x)))


@pytest.fixture(scope="module")
def mlp():
    np.random.seed(0)
    net = nn.WithLossCell(MLP(), nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean"))
    for p in net.trainable_params():
        p.set_data(np.random.default_rng(1).standard_normal(p.shape).astype(np.float32) * 0.5)
    x = np.random.default_rng(2).standard_normal((9, 6)).astype(np.float32)
    y = np.array([0, 1, 2, 0, 1, 2, 0, 1, 2], np.int32)
    return net, x, y


def test_mlp_step_matches_cpu_and_stays_on_the_device(mlp):
    net, x, y = mlp
    weights = ParameterTuple(net.trainable_params())
    cpu = GradFunction(net, weights, False, True, False, backend="cpu")
    want = cpu(Tensor(x), Tensor(y))
    want = (float(want[0].asnumpy()), [g.asnumpy().copy() for g in want[1]])
    dev = GradFunction(net, weights, False, True, False, backend="cuda")
    xt, yt = Tensor(x), Tensor(y)
    sc.reset_transfer_stats()
    loss, grads = dev(xt, yt)                       # first step: inputs and Parameters move once
    first = sc.transfer_stats()
    assert first["to_device"] == 2 + len(weights) and first["to_host"] == 0
    assert all(isinstance(p, DeviceResident) for p in weights) and isinstance(xt, DeviceResident)
    sc.reset_transfer_stats()
    loss, grads = dev(xt, yt)                       # a step: no copy either way
    assert sc.transfer_stats() == {"to_device": 0, "to_host": 0, "bytes_to_device": 0, "bytes_to_host": 0}
    assert isinstance(loss, DeviceResident) and all(isinstance(g, DeviceResident) for g in grads)
    assert loss.shape == () and grads[0].shape == (10, 6)
    np.testing.assert_allclose(float(loss.asnumpy()), want[0], rtol=RTOL, atol=ATOL)
    for g, w in zip(grads, want[1]):
        np.testing.assert_allclose(g.asnumpy(), w, rtol=RTOL, atol=ATOL)
    assert sc.transfer_stats()["to_host"] == 1 + len(grads)       # asnumpy: the API boundary
    repr(loss)
    assert sc.transfer_stats()["to_host"] == 1 + len(grads)       # the host copy is kept
    with pytest.raises(ValueError):
        loss.asnumpy()[()] = 0                      # read-only: a host write cannot diverge silently
    # a Parameter changed on the host goes back to the device once, on the next step
    w0 = weights[0]
    old = w0.asnumpy().copy()
    w0.set_data(old * 0)
    sc.reset_transfer_stats()
    _, grads0 = dev(xt, yt)
    assert sc.transfer_stats()["to_device"] == 1
    w0.set_data(old)


def test_relu_dense_is_one_matmul_and_one_fused_kernel(mlp):
    def dense_relu(x, w, b):
        return ops.relu(ops.matmul(x, w) + b)

    rng = np.random.default_rng(4)
    args = [f32(rng.standard_normal(s)) for s in ((5, 4), (4, 3), (3,))]
    want, got, dev = run_both(dense_relu, args)
    assert_close(got, want, "relu(x @ w + b)")
    host_source = dev.last.module.cuda_host_source
    forward = host_source.split("def backward", 1)[0]
    backward = host_source.split("def backward", 1)[1].split("def value_and_grad", 1)[0]
    assert len(re.findall(r"matmul_\w+\(", forward)) == 1 and len(re.findall(r"= _fused_\d+\(", forward)) == 1
    assert len(re.findall(r"= _fused_\d+\(", backward)) == 1        # relu's adjoint and the bias sum's input
    listing = sc.source(dev)
    assert "@cuda.jit" not in host_source and "def kernel(" in listing and "d_relu" in listing


def scaled_sum(x, w):
    return (ops.tanh(x * w) * 3.0).sum()


def test_set_context_gpu_runs_forward_value_and_grad_on_the_device():
    from s2sgrad.context import get_context, set_context
    x = np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3)
    w = np.full(3, 0.5, np.float32)
    want = GradFunction(scaled_sum, None, True, False, False, backend="python")(Tensor(x), Tensor(w))
    before = get_context("device_target")
    set_context(device_target="GPU")
    try:
        got = nn.ForwardValueAndGrad(scaled_sum, get_all=True)(Tensor(x), Tensor(w))
    finally:
        set_context(device_target=before)
    assert isinstance(got[0], DeviceResident) and all(isinstance(g, DeviceResident) for g in got[1])
    assert_close(got, want, "set_context(device_target='GPU')")
