"""A backward loop's per-step weight-gradient products become one product of stacked
operands after the loop (s2sgrad/stacked_products.py). Each program is checked against
central differences, uncompiled and compiled, and its source says which sinks moved."""
import re

import numpy as np
import pytest

import s2sgrad
from s2sgrad import Tensor, nn

from gradcheck import check_grads, check_grads_compiled_too, source_of


def rnn(xs, w_x, w_h, b):
    """An Elman RNN: d_w_x, d_w_h (matmul_tn) and d_b (sum over the batch) are stacked."""
    h = np.zeros((xs.shape[1], w_h.shape[0]))
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] @ w_x + h @ w_h + b)
    return (h * h).sum()


def shared_weight(xs, w):
    """w is used twice per step: d_w is added into twice in the body, so it stays there."""
    h = np.zeros((xs.shape[1], w.shape[1]))
    for t in range(xs.shape[0]):
        h = np.tanh(h @ w) + np.sin(xs[t] @ w)
    return (h * h).sum()


def epochs(xs, w):
    """The stacked loop is nested in another loop: its buffers are made on each entry."""
    h = np.zeros((xs.shape[1], w.shape[1]))
    for _ in range(2):
        for t in range(xs.shape[0]):
            h = np.tanh(xs[t] @ w + 0.5 * h)
    return (h * h).sum()


def segments(xs, w_h):
    """A checkpointed loop: left as it is (its buffers would hold a whole segment)."""
    h = xs[0]
    for t in s2sgrad.checkpointed(range(xs.shape[0] - 1), every=2):
        h = np.tanh(h @ w_h + xs[t + 1])
    return (h * h).sum()


def rnn32(xs, w_x, w_h):
    """float32 throughout: the buffers are float32."""
    h = np.zeros((xs.shape[1], w_h.shape[0]), np.float32)
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] @ w_x + h @ w_h)
    return (h * h).sum()


RNG = np.random.default_rng(5)
XS = RNG.standard_normal((5, 3, 4)) * 0.5
W_X, W_H, B = RNG.standard_normal((4, 6)) * 0.4, RNG.standard_normal((6, 6)) * 0.4, RNG.standard_normal(6) * 0.1
XS6 = RNG.standard_normal((5, 3, 6)) * 0.5

CASES = {"rnn": (rnn, (XS, W_X, W_H, B), {"d_w_x", "d_w_h", "d_b"}),
         "shared_weight": (shared_weight, (XS6, W_H), set()),
         "epochs": (epochs, (XS, W_X), {"d_w"}),
         "segments": (segments, (XS[:, :, :4], RNG.standard_normal((4, 4)) * 0.4), set())}


def stacked_sinks(src):
    """Sinks given a product or sum of stacked buffers."""
    return set(re.findall(r"\n +(d_\w+) = \1 \+ (?:matmul_tn|sum_axis)\(reshape\(stack_", src))


@pytest.mark.parametrize("case", sorted(CASES))
def test_gradients_and_which_sinks_are_stacked(case):
    fn, args, sinks = CASES[case]
    check_grads_compiled_too(fn, *args, rtol=1e-6, atol=1e-9, agree_rtol=1e-12, agree_atol=1e-14)
    src = source_of(fn, *args)
    assert stacked_sinks(src) == sinks, src
    if not sinks:
        assert "stack_" not in src, src


def test_an_operand_for_two_sinks_is_copied_once():
    src = source_of(rnn, XS, W_X, W_H, B)
    loop = src[src.index("    for _k"):]
    copies = re.findall(r"\n +(stack_\w+)\[_k\d+\] = (\w+)\n", loop)
    assert len(copies) == 3, src                 # d_z for all three sinks, h, and xs[t]
    assert len({name for name, _ in copies}) == 3, src


def test_float32_buffers():
    xs, w_x, w_h = (a.astype(np.float32) for a in (XS, W_X, W_H))
    src = source_of(rnn32, xs, w_x, w_h)
    assert re.search(r"stack_\w+ = empty\(\(n_loop\d+, 3, 6\), float32\)", src), src
    grads = check_grads(rnn32, xs, w_x, w_h, rtol=2e-3, atol=2e-4)
    assert all(g.asnumpy().dtype == np.float32 for g in grads)


def test_zero_steps_leave_zero_weight_gradients():
    grad = nn.ForwardValueAndGrad(rnn, get_all=True)
    value, grads = grad(*[Tensor(a) for a in (XS[:0], W_X, W_H, B)])
    assert float(value.asnumpy()) == 0.0
    for g, a in zip(grads[1:], (W_X, W_H, B)):
        assert g.shape == a.shape and not g.asnumpy().any()
