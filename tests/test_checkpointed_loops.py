"""Checkpointed loops (`s2sgrad.checkpointed`, loops.py): the backward recomputes each
segment from its saved start instead of taping every iteration. Gradients are checked
against central differences and must equal the unmarked loop's to rounding (the same
operations; chains.py may sum them in another order where only one of the two loops
unrolls); the tape must shrink to the saved starts."""
import os
import types

import numpy as np
import pytest

import s2sgrad
from s2sgrad import Tensor, nn, ops
from s2sgrad.errors import S2SGradError
from gradcheck import check_grads

THIS_FILE = os.path.abspath(__file__)
ck = s2sgrad.checkpointed     # the cases call it by this name, so `unmarked` can swap it


def ode(x0, a, b):
    x = x0
    for i in ck(range(100), every=7):
        x = x + 0.01 * (a * x - b * x * x * x)
    return x * x


def ode_default_every(x0, a, b):
    x = x0
    for i in ck(range(50)):
        x = x + 0.01 * (a * x - b * x * x * x)
    return x * x


def oscillator(x0, v0, k):
    """Two carried scalars and a branch in the body."""
    x, v = x0, v0
    for i in ck(range(3, 40, 2), every=4):
        force = -k * x
        if x > 0.0:
            force = force - 0.1 * v
        v = v + 0.05 * force
        x = x + 0.05 * v
    return x * v


def reversed_sum(w, xs):
    """A runtime trip count, a negative step and reads of an input array."""
    acc = w * 0.0
    for i in ck(range(len(xs) - 1, -1, -1), every=3):
        acc = np.tanh(acc * w + xs[i])
    return acc


def rnn(h0, w, xs):
    """Array-valued carried state: the saved starts are arrays."""
    h = h0
    for t in ck(range(xs.shape[0]), every=2):
        h = np.tanh(h @ w + xs[t])
    return np.sum(h * h)


def with_inner_while(x0, a):
    x = x0
    for i in ck(range(12), every=5):
        j = 0
        while j * 4 < i:
            x = x * a + 0.1
            j = j + 1
        x = np.sin(x)
    return x


def inside_plain_loop(x0, a):
    x = x0
    for epoch in range(3):
        for i in ck(range(10), every=4):
            x = x + 0.1 * np.sin(a * x)
        x = x * 0.9
    return x


def no_trips(x0, a):
    x = x0
    for i in ck(range(0), every=4):
        x = x * a
    return x * a


def f64(*values):
    return [np.array(v) for v in values]


RNG = np.random.default_rng(3)
CASES = [
    ("ode", ode, f64(0.5, 1.0, 2.0)),
    ("ode_default_every", ode_default_every, f64(0.5, 1.0, 2.0)),
    ("oscillator", oscillator, f64(0.3, -0.2, 2.0)),
    ("reversed_sum", reversed_sum, [np.array(0.7), RNG.normal(size=11)]),
    ("rnn", rnn, [RNG.normal(size=(2, 3)), RNG.normal(size=(3, 3)) * 0.5, RNG.normal(size=(7, 2, 3))]),
    ("with_inner_while", with_inner_while, f64(0.4, 0.8)),
    ("inside_plain_loop", inside_plain_loop, f64(0.4, 1.3)),
    ("no_trips", no_trips, f64(0.4, 1.3)),
]
COMPILED = {"ode", "rnn"}      # the rest run the generated code uncompiled: same source, no Numba wait


def plain_range(iterable, every=None):
    return iterable


def unmarked(fn):
    """The same function with `ck(r, every=k)` meaning just `r`: a taped loop."""
    return types.FunctionType(fn.__code__, dict(fn.__globals__, ck=plain_range), fn.__name__)


@pytest.mark.parametrize("name,fn,args", CASES, ids=[c[0] for c in CASES])
def test_gradient_matches_finite_differences_and_the_taped_loop(name, fn, args):
    target = None if name in COMPILED else "python"
    grads = check_grads(fn, *args, target=target)
    plain = unmarked(fn)
    taped = check_grads(plain, *args, target=target)
    for got, want in zip(grads, taped):
        np.testing.assert_allclose(got.asnumpy(), want.asnumpy(), rtol=1e-12, atol=0)


def test_unmarked_helper_really_drops_the_marker():
    # guard on the comparison above: the plain version tapes every iteration
    train = nn.ForwardValueAndGrad(s2sgrad.jit(unmarked(ode), target="python"), get_all=True)
    train(*[Tensor(a) for a in f64(0.5, 1.0, 2.0)])
    assert "tape_new" not in s2sgrad.source(train)


def _workspace_sizes(fn, args):
    train = nn.ForwardValueAndGrad(fn, get_all=True)
    train(*[Tensor(a) for a in args])
    entry = train._grad.last
    return [w.shape[0] for w in entry.workspace]


def long_ode(x0, a, b):
    """Three carried scalars: unmarked, the loop tapes them per iteration (with one or two, it
    would multiply its partials up in the forward and tape nothing, fused_loops.py)."""
    x, y, z = x0, 0.8 * x0, 1.2 * x0
    for i in ck(range(10000), every=100):
        total = x + y + z
        x = x + 0.001 * x * (a - b * total)
        y = y + 0.001 * y * (0.9 * a - b * total)
        z = z + 0.001 * z * (1.1 * a - b * total)
    return x * x + y * y + z * z


def test_forward_tape_holds_only_segment_starts():
    # 10,000 steps in segments of 100: the forward keeps 100 starts per carried
    # name, where the unmarked loop keeps 10,000
    marked = _workspace_sizes(long_ode, f64(0.5, 1.0, 2.0))
    plain = _workspace_sizes(unmarked(long_ode), f64(0.5, 1.0, 2.0))
    assert max(plain) >= 10000
    assert marked and max(marked) <= 200


# -- refusals: located at the user's line ---------------------------------------------

def writes_array(x):
    y = np.zeros(4)
    for i in s2sgrad.checkpointed(range(4), every=2):
        y[i] = x * i  # refused: write
    return np.sum(y)


def nested(x):
    for i in s2sgrad.checkpointed(range(4), every=2):
        for j in s2sgrad.checkpointed(range(4), every=2):  # refused: nested
            x = x * 1.1
    return x


def runtime_count_without_every(x, xs):
    for i in s2sgrad.checkpointed(range(len(xs))):  # refused: every
        x = x * xs[i]
    return x


def bad_every(x):
    for i in s2sgrad.checkpointed(range(4), every=0):  # refused: bad every
        x = x * 1.1
    return x


class DropoutLoop(nn.Cell):
    def __init__(self):
        super().__init__()
        self.drop = nn.Dropout(p=0.5)

    def construct(self, x):
        for i in s2sgrad.checkpointed(range(4), every=2):  # refused: dropout
            x = self.drop(x)
        return ops.ReduceSum()(x)


def _marked_line(case):
    lines = open(THIS_FILE).read().splitlines()
    return next(i + 1 for i, line in enumerate(lines) if line.endswith(f"# refused: {case}"))


@pytest.mark.parametrize("case,fn,args,words", [
    ("write", writes_array, [np.array(1.0)], "cannot write into an array"),
    ("nested", nested, [np.array(1.0)], "inside another checkpointed loop"),
    ("every", runtime_count_without_every, [np.array(1.0), np.ones(3)], "every=100"),
    ("bad every", bad_every, [np.array(1.0)], "every must be a positive int"),
    ("dropout", None, [np.ones(4, np.float32)], "random numbers"),
])
def test_refusal_names_the_line(case, fn, args, words):
    network = DropoutLoop() if fn is None else fn
    if fn is None:
        network.set_train(True)
    with pytest.raises(S2SGradError) as info:
        nn.ForwardValueAndGrad(network, get_all=True)(*[Tensor(a) for a in args])
    message = str(info.value)
    assert f"{THIS_FILE}:{_marked_line(case)}:" in message, message
    assert words in message, message


def test_eager_call_is_the_plain_range():
    assert s2sgrad.checkpointed(range(5), every=2) == range(5)
    with pytest.raises(ValueError):
        s2sgrad.checkpointed(range(5), every=-1)
