"""Loops whose backward is one seed times a fixed sum run their adjoint statements in the
forward (s2sgrad/fused_loops.py). Each program is checked against central differences,
uncompiled and compiled, and its source says whether the loop moved."""
import re

import numpy as np
import pytest

from s2sgrad import Tensor, nn

from gradcheck import check_grads_compiled_too, source_of


def lj(pos):
    """W4's pair loop: fused."""
    e = 0.0
    for i in range(pos.shape[0]):
        for j in range(i + 1, pos.shape[0]):
            r2 = 0.0
            for k in range(3):
                d = pos[i, k] - pos[j, k]
                r2 += d * d
            s6 = (1.0 / r2) ** 3
            e += 4.0 * (s6 * s6 - s6)
    return e


def clipped(x, c):
    """A branch in the body and a scalar sink (d_c): fused, code in both branches."""
    e = 0.0
    for i in range(x.shape[0]):
        if x[i] > 0.0:
            e += c * x[i] * x[i]
        else:
            e += np.sin(x[i])
    return e * e


def merged(x):
    """A branch assigns t, used after it: the branch's adjoint code stays a branch at the
    body's end, after the code of `e += 3.0 * t` (the order of the backward)."""
    e = 0.0
    for i in range(x.shape[0]):
        if x[i] > 0.0:
            t = x[i] * x[i]
        else:
            t = np.sin(x[i])
        e += 3.0 * t
    return e


def twice(x):
    """Two loops with the same index name, each fused; the value after them is squared,
    so the seed is not 1."""
    a = 0.0
    for i in range(x.shape[0]):
        a += x[i] * x[i] * x[i]
    b = 0.0
    for i in range(x.shape[0]):
        b += np.exp(x[i])
    return a * b


def decayed(x):
    """d_s changes from one iteration to the next: not fused."""
    s = 0.0
    for i in range(x.shape[0]):
        s = 0.5 * s + x[i] * x[i]
    return s


def two_sums(x):
    """Two seeds (d_a, d_b): not fused."""
    a = 0.0
    b = 0.0
    for i in range(x.shape[0]):
        a += x[i] * x[i]
        b += np.cos(x[i])
    return a * b


def row_scaled(x):
    """xi, computed in the outer body, collects its adjoint over the inner loop: not fused
    (the inner loop reads a local adjoint of the enclosing block)."""
    e = 0.0
    for i in range(x.shape[0]):
        xi = x[i] * 2.0
        for j in range(x.shape[0]):
            e += xi * x[j] * x[j]
    return e


def carried_factor(x):
    """The adjoint code reads c as it was at the start of the iteration; at the body's end
    it has changed: not fused."""
    e = 0.0
    c = 1.0
    for i in range(x.shape[0]):
        e += c * x[i] * x[i]
        c = c * 0.5
    return e


def written(x):
    """The body writes into an array: not fused."""
    y = x.copy()
    e = 0.0
    for i in range(x.shape[0]):
        y[i] = y[i] * y[i]
        e += y[i] * x[i]
    return e


def backward_of(src):
    return src[src.index("def backward"):src.index("def value_and_grad")]


RNG = np.random.default_rng(3)
X = RNG.standard_normal(7)
POS = (np.stack(np.meshgrid(*[np.arange(2.0)] * 3, indexing="ij"), -1).reshape(-1, 3) * 1.1
       + 0.1 * RNG.standard_normal((8, 3)))

CASES = {"lj": (lj, (POS,), 1), "clipped": (clipped, (X, np.array(0.7)), 1), "merged": (merged, (X,), 1),
         "twice": (twice, (X,), 2),
         "decayed": (decayed, (X,), 0), "two_sums": (two_sums, (X,), 0), "row_scaled": (row_scaled, (X[:4],), 0),
         "carried_factor": (carried_factor, (X,), 0), "written": (written, (X,), 0)}


@pytest.mark.parametrize("case", sorted(CASES))
def test_gradients_and_where_the_loop_runs(case):
    fn, args, fused = CASES[case]
    check_grads_compiled_too(fn, *args, rtol=1e-6, atol=1e-9, agree_rtol=1e-12, agree_atol=1e-14)
    src = source_of(fn, *args)
    backward = backward_of(src)
    assert len(re.findall(r"\n    (part_d_\w+) = zeros_like", src)) == fused, src
    assert len(re.findall(r"\n    d_\w+ \+= d_\w+ \* part_d_\w+\n", backward)) == fused, src
    if fused:
        assert "for _k" not in backward, src       # no loop left in the backward
    else:
        assert "part_d_" not in src, src


def test_scalar_sink_and_branches_in_the_forward():
    src = source_of(clipped, X, np.array(0.7))
    assert re.search(r"\n    d_c = (d_c \+ )?d_e \* part_d_c\n", backward_of(src)), src
    forward = src[:src.index("def backward")]
    assert forward.count("        if cond:\n") == 2, src      # the forward's branch, then its adjoint's
    then, orelse = forward.split("        if cond:\n")[2].split("        else:\n")
    assert "part_d_x[i,] += " in then and "part_d_c = part_d_c + " in then, src
    assert "part_d_x[i,] += " in orelse and "part_d_c = " not in orelse, src


def test_sens_scales_the_fused_sum():
    grad = nn.ForwardValueAndGrad(lj, get_all=True, sens_param=True)
    (_, (g1,)) = grad(Tensor(POS), Tensor(np.array(1.0)))
    (_, (g3,)) = grad(Tensor(POS), Tensor(np.array(-2.5)))
    np.testing.assert_allclose(g3.asnumpy(), -2.5 * g1.asnumpy(), rtol=1e-12)


def test_zero_trips_leave_a_zero_gradient():
    x = np.zeros(0)
    grad = nn.ForwardValueAndGrad(twice, get_all=True)
    value, (g,) = grad(Tensor(x))
    assert float(value.asnumpy()) == 0.0 and g.shape == (0,)
