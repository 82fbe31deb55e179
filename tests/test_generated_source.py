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


def ode_float_power(x, a):
    for _ in range(50):
        x = x + 0.01 * (a * x - x ** 3.0)
    return x * x


def test_a_float_power_with_an_integral_value_multiplies():
    """`x ** 3.0` of a scalar is written `x ** 3`, which Numba multiplies out, and so is the
    `x ** 2.0` of its adjoint; pow() is a call per step."""
    from gradcheck import check_grads, source_of
    x, a = np.array(0.7), np.array(0.5)
    check_grads(ode_float_power, x, a, rtol=1e-6, atol=1e-9)
    text = source_of(ode_float_power, x, a)
    assert "_pow = x_1 ** 3\n" in text and "* x_1 ** 2\n" in text and "** float64(" not in text
