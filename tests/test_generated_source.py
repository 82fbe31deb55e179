"""The generated pair: golden source for the reference example, byte-identical across
processes, and the same source running as plain NumPy (python backend) and compiled."""
import os
import subprocess
import sys

import numpy as np

import s2sgrad as ms
from s2sgrad import nn, Tensor
from s2sgrad.grad import GradFunction

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLE = os.path.join(ROOT, "examples", "forward_value_and_grad.py")
GOLDEN = os.path.join(ROOT, "tests", "golden", "forward_value_and_grad.py.txt")

PRINT_SOURCE = f"""
import runpy, io, contextlib, s2sgrad
with contextlib.redirect_stdout(io.StringIO()):
    g = runpy.run_path({EXAMPLE!r})
print(s2sgrad.source(g['train_network']), end='')
"""

EXPECTED_OUTPUT = """\
(Tensor(shape=[1], dtype=Float32, value= [ 1.38629436e+00]), ((Tensor(shape=[1, 2], dtype=Float32, value=
[[-1.00000000e+00, -1.00000000e+00]]), Tensor(shape=[1, 2], dtype=Float32, value=
[[ 0.00000000e+00,  0.00000000e+00]])), (Tensor(shape=[2, 2], dtype=Float32, value=
[[-5.00000000e-01, -5.00000000e-01],
 [-5.00000000e-01, -5.00000000e-01]]),)))
"""


def run(code):
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT).stdout


def test_reference_example_prints_mindspore_output_exactly():
    out = subprocess.run([sys.executable, EXAMPLE], capture_output=True, text=True, check=True).stdout
    assert out == EXPECTED_OUTPUT


def test_reference_example_source_matches_golden_and_is_deterministic():
    first, second = run(PRINT_SOURCE), run(PRINT_SOURCE)
    assert first == second
    if os.environ.get("S2SGRAD_UPDATE_GOLDEN"):
        with open(GOLDEN, "w") as f:
            f.write(first)
    with open(GOLDEN) as f:
        assert first == f.read()


def mlp_loss(x, w1, w2):
    h = np.tanh(x @ w1)
    return np.mean((h @ w2) ** 2)


def test_python_backend_runs_the_same_source_with_the_same_result():
    rng = np.random.default_rng(1)
    args = [Tensor(rng.standard_normal(s)) for s in ((4, 3), (3, 5), (5, 2))]
    results = {}
    for backend in ("python", "cpu"):
        fn = GradFunction(mlp_loss, None, True, False, False, backend=backend)
        results[backend] = fn(*args)
        results[backend + "_source"] = fn.last.source
    assert results["python_source"] == results["cpu_source"]
    np.testing.assert_allclose(results["python"][0].asnumpy(), results["cpu"][0].asnumpy(), rtol=1e-12)
    for a, b in zip(results["python"][1], results["cpu"][1]):
        np.testing.assert_allclose(a.asnumpy(), b.asnumpy(), rtol=1e-12)
