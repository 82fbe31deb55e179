"""A forward loop's per-step input products become one product before the loop
(s2sgrad/hoisted_products.py). Each program is checked against central differences,
uncompiled and compiled, and its source says which products moved."""
import re

import numpy as np
import pytest

from s2sgrad import ops

from gradcheck import check_grads_compiled_too, source_of

MATMUL_NT = ops.MatMul(transpose_b=True)


def rnn(xs, w_x, w_h):
    """xs[t] @ w_x is made for all steps at once; h @ w_h depends on the last step."""
    h = np.zeros((xs.shape[1], w_h.shape[0]))
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] @ w_x + h @ w_h)
    return (h * h).sum()


def transposed(xs, w_x, w_h):
    """w_x stored (hidden, in), as MindSpore's LSTM keeps it: matmul_nt."""
    h = np.zeros((xs.shape[1], w_h.shape[0]))
    for t in range(xs.shape[0]):
        h = np.tanh(MATMUL_NT(xs[t], w_x) + h @ w_h)
    return (h * h).sum()


def vector_steps(xs, w_x, w_h):
    """xs (steps, in): each step a vector, and the hoisted product needs no reshape."""
    h = np.zeros(w_h.shape[0])
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] @ w_x + h @ w_h)
    return (h * h).sum()


def fewer_steps(xs, w_x, w_h):
    """The loop runs for fewer steps than xs has: only those rows are multiplied."""
    h = np.zeros((xs.shape[1], w_h.shape[0]))
    for t in range(xs.shape[0] - 2):
        h = np.tanh(xs[t] @ w_x + h @ w_h)
    return (h * h).sum() + w_x.sum()


def no_steps(xs, w_x, w_h):
    """range of a negative count: no rows at all."""
    h = np.zeros((xs.shape[1], w_h.shape[0]))
    for t in range(xs.shape[0] - 9):
        h = np.tanh(xs[t] @ w_x + h @ w_h)
    return (h * h).sum() + (w_x * w_x).sum()


def writes_array(xs, w_x, w_h):
    """The loop writes into an array: left alone."""
    h = np.zeros((xs.shape[1], w_h.shape[0]))
    sums = np.zeros(xs.shape[0])
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] @ w_x + h @ w_h)
        sums[t] = h.sum()
    return (h * h).sum() + (sums * sums).sum()


def rebinds_weight(xs, w_x, w_h):
    """The weight changes from step to step: left alone."""
    h = np.zeros((xs.shape[1], w_h.shape[0]))
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] @ w_x + h @ w_h)
        w_x = w_x * 0.9
    return (h * h).sum()


RNG = np.random.default_rng(11)
XS = RNG.standard_normal((5, 3, 4)) * 0.5
W_X, W_H = RNG.standard_normal((4, 6)) * 0.4, RNG.standard_normal((6, 6)) * 0.4

CASES = {"rnn": (rnn, (XS, W_X, W_H), "matmul_nn"),
         "transposed": (transposed, (XS, W_X.T.copy(), W_H), "matmul_nt"),
         "vector_steps": (vector_steps, (XS[:, 0, :], W_X, W_H), "matmul_nn"),
         "fewer_steps": (fewer_steps, (XS, W_X, W_H), "matmul_nn"),
         "no_steps": (no_steps, (XS, W_X, W_H), "matmul_nn"),
         "writes_array": (writes_array, (XS, W_X, W_H), None),
         "rebinds_weight": (rebinds_weight, (XS, W_X, W_H), None)}


@pytest.mark.parametrize("case", sorted(CASES))
def test_gradients_and_which_products_move(case):
    fn, args, kind = CASES[case]
    check_grads_compiled_too(fn, *args, rtol=1e-6, atol=1e-9, agree_rtol=1e-12, agree_atol=1e-14)
    src = source_of(fn, *args)
    hoisted = re.findall(r"\n +(\w+)_all = (?:reshape\()?(matmul_\w\w)\((?:reshape\()?xs\[0:n_rows\](?:, \(n_rows \* 3, 4\)\))?,", src)
    if kind is None:
        assert not hoisted and "n_rows" not in src, src
    else:
        ((target, found),) = hoisted
        assert found == kind, src
        assert re.search(rf"\n +{target} = {target}_all\[t\]\n", src), src
        assert "n_rows = trip_count(0, " in src, src
