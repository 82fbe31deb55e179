"""W3 and W5 written the other ways users write them, each timed against its workload's
hand-written Numba gradient in this process (interleaved rounds, medians), after its value and
gradients are checked against the benchmark's form:

    OPENBLAS_NUM_THREADS=1 python tools/bench/w3_w5_forms.py

- W3 while:       `t = 0; while t < steps: ...; t += 1` (s2sgrad/counted_loops.py)
- W3 Cell:        a Cell holding a and b as Parameters, stepping `x = x + 0.001 * (self.a * x -
                  self.b * x ** 3)` (gradients with respect to x0 and both Parameters)
- W5 nn.LSTM:     `out, (h, c) = self.lstm(xs)` with nn.LSTM(16, 32) holding W5's weights
- W5 nn.LSTMCell: `h, c = self.cell(xs[t], (h, c))` stepped in a loop
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench import w3, w5                                 # noqa: E402
from bench.common import measure_interleaved, print_forms   # noqa: E402
from s2sgrad import Parameter, ParameterTuple, Tensor, nn, ops      # noqa: E402


def ode_while(x0, a, b, steps):
    x = x0
    t = 0
    while t < steps:
        x = x + 0.001 * (a * x - b * x * x * x)
        t += 1
    return x * x


class ODE(nn.Cell):
    def __init__(self, data):
        super().__init__()
        self.a = Parameter(Tensor(np.array(data["a"])), name="a")
        self.b = Parameter(Tensor(np.array(data["b"])), name="b")
        self.steps = data["steps"]

    def construct(self, x0):
        x = x0
        for _ in range(self.steps):
            x = x + 0.001 * (self.a * x - self.b * x ** 3)
        return x * x


class LSTMLoss(nn.Cell):
    """W5's loss, sum(h_T ** 2), through nn.LSTM (its bias_ih is W5's b, its bias_hh zero)."""

    def __init__(self, data):
        super().__init__()
        self.lstm = nn.LSTM(data["w_ih"].shape[1], data["w_hh"].shape[1])
        _set(self.lstm, "_l0", data)

    def construct(self, xs):
        _, (h, _) = self.lstm(xs)
        return (h * h).sum()


class LSTMCellLoss(nn.Cell):
    def __init__(self, data):
        super().__init__()
        self.hidden = data["w_hh"].shape[1]
        self.cell = nn.LSTMCell(data["w_ih"].shape[1], self.hidden)
        _set(self.cell, "", data)

    def construct(self, xs):
        h = ops.zeros((xs.shape[1], self.hidden), xs.dtype)
        c = ops.zeros((xs.shape[1], self.hidden), xs.dtype)
        for t in range(xs.shape[0]):
            h, c = self.cell(xs[t], (h, c))
        return (h * h).sum()


def _set(cell, suffix, data):
    for name, value in (("weight_ih", data["w_ih"]), ("weight_hh", data["w_hh"]), ("bias_ih", data["b"]),
                        ("bias_hh", np.zeros_like(data["b"]))):
        getattr(cell, name + suffix).set_data(Tensor(value))


def _checked(fvag, args, value, grads, tol, flat=lambda g: g):
    got_value, got_grads = fvag(*args)          # compiles; checked before timing
    got_grads = flat(got_grads)
    np.testing.assert_allclose(float(got_value.asnumpy()), float(value), **tol)
    for got, want in zip(got_grads, grads):
        np.testing.assert_allclose(got.asnumpy(), want, **tol)
    return lambda: fvag(*args)


def main():
    data = w3.make_data()
    args = [data[k] for k in ("x0", "a", "b", "steps")]
    value, *grads = w3.value_and_grad(*args)
    tensors = [Tensor(np.array(v, np.float64)) for v in args[:3]] + [args[3]]
    w3_calls = {"hand-written": lambda: w3.value_and_grad(*args)}
    for name, fn in (("for (benchmark)", w3.ode_loss), ("while", ode_while)):
        w3_calls[name] = _checked(nn.ForwardValueAndGrad(fn, get_all=True), tensors, value, grads, w3.TOL)
    net = ODE(data)
    fvag = nn.ForwardValueAndGrad(net, weights=ParameterTuple(net.trainable_params()), get_all=True, get_by_list=True)
    w3_calls["Cell"] = _checked(fvag, tensors[:1], value, grads, w3.TOL, lambda g: [*g[0], *g[1]])
    print(w3.TITLE)
    print_forms(measure_interleaved(w3_calls))

    data = w5.make_data()
    raw = [data[k] for k in ("xs", "w_ih", "w_hh", "b")]
    value, *grads = w5.value_and_grad(*raw)
    xs = Tensor(data["xs"])
    w5_calls = {"hand-written": lambda: w5.value_and_grad(*raw)}
    benchmark = w5.impl_s2sgrad(data)
    w5_calls["benchmark form"] = _checked(benchmark.info["train"], [xs], value, grads, w5.TOL)
    for name, net in (("nn.LSTM", LSTMLoss(data)), ("nn.LSTMCell loop", LSTMCellLoss(data))):
        fvag = nn.ForwardValueAndGrad(net, weights=ParameterTuple(net.trainable_params()), get_by_list=True)
        # the weights' gradients: w_ih, w_hh, and b twice (as bias_ih and as bias_hh)
        w5_calls[name] = _checked(fvag, [xs], value, grads + [grads[2]], w5.TOL)
    print("\n" + w5.TITLE)
    print_forms(measure_interleaved(w5_calls))


if __name__ == "__main__":
    main()
