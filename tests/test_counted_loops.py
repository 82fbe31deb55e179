"""counted_loops: a `while` that counts an int to a fixed bound runs as a `for` over a range,
so its reverse has a known trip count. Each program is checked against central differences
(values against the program run by Python); the generated text shows which loops became ranges."""
import os
import sys

import numpy as np
import pytest

from s2sgrad import Tensor, nn
from gradcheck import check_grads, source_of

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tools"))
from bench import w4                                # noqa: E402  W4 as the benchmark runs it
from bench.w4_forms import while_loops as pairs_while   # noqa: E402  and written with whiles


def shape_bound(x):             # the bound read again before each test; the counter used after
    s = 0.0
    i = 0
    while i < x.shape[0]:
        s = s + x[i] * x[i]
        i += 1
    return s * i


def counts_down(x):             # `>=`, step -1
    s = 0.0
    i = len(x) - 1
    while i >= 0:
        s = s * 0.5 + x[i] * x[i]
        i -= 1
    return s + i


def bound_on_the_left(x):       # `n >= i`: i <= n
    s = 0.0
    n = x.shape[0] - 1
    i = 1
    while n >= i:
        s = s + x[i] * x[i - 1]
        i = i + 1
    return s * i


def step_two(x):                # the counter keeps its updates
    s = 0.0
    i = 0
    while i < x.shape[0]:
        s = s + x[i] * x[i]
        i += 2
    return s * i


def no_trips(x):
    s = x[0]
    i = 5
    while i < 3:
        s = s * x[1]
        i += 1
    return s * i


def float_counter(x):           # stays a while
    s = 0.0
    t = 0.0
    while t < 1.0:
        s = s + x[0] * t
        t += 0.25
    return s


def changing_bound(x):          # stays a while
    s = 0.0
    i = 0
    n = 3
    while i < n:
        s = s + x[i]
        n = n + 0
        i += 1
    return s


def read_after_the_step(x):     # stays a while: the body reads the next value
    s = 0.0
    i = 0
    while i < 4:
        i += 1
        s = s + x[i] * i
    return s


X = np.array([1.0, 0.8, -0.6, 1.3, 0.9])


def loop_heads(fn, *args):
    """The forward's loop statements, comments left out."""
    text = source_of(fn, *args)
    forward = text[text.index("def forward"):text.index("def backward")]
    return [line.strip() for line in forward.splitlines() if line.strip().startswith(("for ", "while "))]


@pytest.mark.parametrize("fn, head", [
    (shape_bound, "for i_2 in range(i, cond_n, 1):"),
    (counts_down, "for i_1_1 in range(i_1, i_1_stop, -1):"),
    (bound_on_the_left, "for i_2 in range(i, i_stop, 1):"),
    (step_two, "for i_2 in range(i, cond_n, 2):"),
    (no_trips, "for i_2 in range(i, 3, 1):"),
])
def test_a_counting_while_runs_over_a_range(fn, head):
    check_grads(fn, X)
    assert loop_heads(fn, X) == [head]


@pytest.mark.parametrize("fn", [float_counter, changing_bound, read_after_the_step])
def test_other_whiles_stay_whiles(fn):
    check_grads(fn, X)
    assert loop_heads(fn, X)[0].startswith("while ")


def test_the_pair_loop_is_the_for_programs():
    pos = w4.make_data("small")["pos"]
    check_grads(pairs_while, pos, 1.0, 1.0, rtol=1e-6, atol=1e-8)
    assert not any(head.startswith("while ") for head in loop_heads(pairs_while, pos, 1.0, 1.0))
    out_w, grad_w = nn.ForwardValueAndGrad(pairs_while)(Tensor(pos), 1.0, 1.0)
    out_f, grad_f = nn.ForwardValueAndGrad(w4.lj_energy)(Tensor(pos), 1.0, 1.0)
    assert out_w.asnumpy() == out_f.asnumpy()
    np.testing.assert_array_equal(grad_w.asnumpy(), grad_f.asnumpy())
