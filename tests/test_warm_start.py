"""A program already in the disk cache, called in a new process (warm_start.py): Numba
loads it without refreshing its target context, and BLAS is found without importing
scipy.linalg; the gradients are those of the process that compiled it, checked against
central differences, and a later `import scipy.linalg.cython_blas` is the usual one."""
import json
import os
import subprocess
import sys

import numpy as np

CHILD = r"""
import json, sys
import numpy as np
import s2sgrad as ms
from s2sgrad import Parameter, Tensor, nn, ops

class Net(nn.Cell):
    def __init__(self, dtype):
        super().__init__()
        self.w = Parameter(Tensor(np.linspace(-1.0, 1.0, 12).reshape(4, 3).astype(dtype)), name="w")
        self.matmul = ops.MatMul()

    def construct(self, x):
        return ops.tanh(self.matmul(x, self.w)).sum()

x = np.linspace(-0.5, 0.7, 8).reshape(2, 4)
jit_loss = ms.jit(type("JitNet", (Net,), {}))(np.float64)(Tensor(x))     # the compiled forward alone, first
grad = nn.ForwardValueAndGrad(Net(np.float64), get_all=True)
loss, (gx,) = grad(Tensor(x))
vag = grad._grad.last.module.value_and_grad
report = {"loss": float(loss.asnumpy()), "gx": gx.asnumpy().tolist(), "jit_loss": float(jit_loss.asnumpy()),
          "hits": sum(vag.stats.cache_hits.values()) if hasattr(vag, "stats") else None,   # None: not compiled
          "linalg_imported": "scipy.linalg" in sys.modules,
          "cython_blas_left": "scipy.linalg.cython_blas" in sys.modules}
import scipy.linalg.cython_blas
report["usual_import"] = "dgemm" in scipy.linalg.cython_blas.__pyx_capi__
loss32, (gx32,) = nn.ForwardValueAndGrad(Net(np.float32), get_all=True)(Tensor(x.astype(np.float32)))
report["loss32"] = float(loss32.asnumpy())
print(json.dumps(report))
"""


def _child(tmp_path, **environ):
    env = {**os.environ, "S2SGRAD_CACHE_DIR": str(tmp_path / "s2s"), "NUMBA_CACHE_DIR": str(tmp_path / "numba"),
           **environ}
    script = tmp_path / "child.py"          # s2sgrad reads construct's source from its file
    script.write_text(CHILD)
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, check=True).stdout
    return json.loads(out.splitlines()[-1])


def _loss(x, w):
    return np.tanh(x @ w).sum()


def test_a_cached_program_loads_in_a_new_process_without_scipy_linalg(tmp_path):
    cold = _child(tmp_path)
    warm = _child(tmp_path)
    assert cold["hits"] == 0 and warm["hits"] == 1          # compiled, then loaded from Numba's cache
    assert not warm["linalg_imported"] and not warm["cython_blas_left"]
    assert warm["usual_import"]
    assert warm["loss"] == cold["loss"] and warm["gx"] == cold["gx"]
    x = np.linspace(-0.5, 0.7, 8).reshape(2, 4)
    w = np.linspace(-1.0, 1.0, 12).reshape(4, 3)
    assert np.isclose(warm["loss"], _loss(x, w), rtol=1e-12) and np.isclose(warm["jit_loss"], _loss(x, w), rtol=1e-12)
    numeric = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[i] = 1e-6
        numeric[i] = (_loss(x + step, w) - _loss(x - step, w)) / 2e-6
    np.testing.assert_allclose(warm["gx"], numeric, rtol=1e-6, atol=1e-8)
    # a float32 program after scipy.linalg's usual import: Numba's sgemm found through it
    assert np.isclose(warm["loss32"], _loss(x.astype(np.float32), w.astype(np.float32)), rtol=1e-5)


def test_numba_disable_jit_runs_the_generated_python(tmp_path):
    """NUMBA_DISABLE_JIT=1: njit gives back the function itself, which has no cache to replace."""
    report = _child(tmp_path, NUMBA_DISABLE_JIT="1")
    x = np.linspace(-0.5, 0.7, 8).reshape(2, 4)
    w = np.linspace(-1.0, 1.0, 12).reshape(4, 3)
    assert report["hits"] is None
    assert np.isclose(report["loss"], _loss(x, w), rtol=1e-12)
    np.testing.assert_allclose(report["gx"], (1 - np.tanh(x @ w) ** 2) @ w.T, rtol=1e-12)
