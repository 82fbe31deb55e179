"""Recurrent layers: LSTMCell and LSTM, computing what MindSpore 2.10's compute (gates i, f,
g, o in that order; both biases added; Parameters named and ordered as MindSpore names them;
U(-1/sqrt(hidden), 1/sqrt(hidden)) initial values). Their construct is plain differentiable
Python, so s2sgrad transpiles their time loops like a user's.

LSTM multiplies every step's input by weight_ih in one product before its time loop (the
per-step product would be `hoisted_products`' job, but the loop writes its outputs into an
array, which that pass leaves alone)."""
import math

import numpy as np

from .. import ops
from ..common.initializer import Uniform, initializer
from ..parameter import Parameter
from .cell import Cell


def _check(owner, **values):
    for name, (value, kind) in values.items():
        if kind is int and (not isinstance(value, int) or isinstance(value, bool)):
            raise TypeError(f"For '{owner}', the '{name}' must be int, but got {type(value).__name__}.")
        if kind is int and value <= 0:
            raise ValueError(f"For '{owner}', the '{name}' must be a positive int, but got {value}.")
        if kind is bool and not isinstance(value, bool):
            raise TypeError(f"For '{owner}', the '{name}' must be bool, but got {type(value).__name__}.")


class _Gates(Cell):
    """The LSTM step shared by LSTMCell and LSTM."""

    def __init__(self, hidden_size):
        super().__init__()
        self.hidden_size = hidden_size
        self.matmul = ops.MatMul(transpose_b=True)
        self.sigmoid = ops.Sigmoid()
        self.tanh = ops.Tanh()

    def construct(self, gates, c):
        """(h, c) of a step from its gate pre-activations [batch, 4 * hidden] and the previous c."""
        n = self.hidden_size
        i = self.sigmoid(gates[:, 0:n])
        f = self.sigmoid(gates[:, n:2 * n])
        g = self.tanh(gates[:, 2 * n:3 * n])
        o = self.sigmoid(gates[:, 3 * n:4 * n])
        c = f * c + i * g
        h = o * self.tanh(c)
        return h, c


class LSTMCell(Cell):
    """One LSTM step: `h, c = cell(x, (h, c))`, x [batch, input_size], h and c [batch, hidden_size]."""

    def __init__(self, input_size, hidden_size, has_bias=True, dtype=None):
        super().__init__()
        _check("LSTMCell", input_size=(input_size, int), hidden_size=(hidden_size, int), has_bias=(has_bias, bool))
        self.input_size, self.hidden_size, self.has_bias = input_size, hidden_size, has_bias
        dt = np.float32 if dtype is None else dtype
        init = Uniform(1 / math.sqrt(hidden_size))
        self.weight_ih = Parameter(initializer(init, [4 * hidden_size, input_size], dt), name="weight_ih")
        self.weight_hh = Parameter(initializer(init, [4 * hidden_size, hidden_size], dt), name="weight_hh")
        if has_bias:
            self.bias_ih = Parameter(initializer(init, [4 * hidden_size], dt), name="bias_ih")
            self.bias_hh = Parameter(initializer(init, [4 * hidden_size], dt), name="bias_hh")
        self.matmul = ops.MatMul(transpose_b=True)
        self.step = _Gates(hidden_size)

    def construct(self, x, hx):
        h, c = hx
        gates = self.matmul(x, self.weight_ih) + self.matmul(h, self.weight_hh)
        if self.has_bias:
            gates = gates + self.bias_ih + self.bias_hh
        return self.step(gates, c)

    def extend_repr(self):
        return f"input_size={self.input_size}, hidden_size={self.hidden_size}, has_bias={self.has_bias}"


class LSTM(Cell):
    """`output, (h_n, c_n) = lstm(x, hx=None)`: x [steps, batch, input_size] ([batch, steps,
    input_size] with batch_first), output [steps, batch, directions * hidden_size], h_n and c_n
    [num_layers * directions, batch, hidden_size]; hx, when given, is (h_0, c_0) of that shape.
    Each layer past the first reads the one before's output; a bidirectional layer's output is
    its forward then its reverse direction's, concatenated. MindSpore's `seq_length` (per-sequence
    lengths) is not taken: pad the batch to one length, or run each length's batch on its own."""

    def __init__(self, input_size, hidden_size, num_layers=1, has_bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, dtype=None):
        super().__init__()
        _check("LSTM", input_size=(input_size, int), hidden_size=(hidden_size, int), num_layers=(num_layers, int),
               has_bias=(has_bias, bool), batch_first=(batch_first, bool), bidirectional=(bidirectional, bool))
        if dropout:
            raise ValueError("For 'LSTM', s2sgrad supports only dropout=0.0 between layers: stack one-layer "
                             "LSTMs with an nn.Dropout between them instead")
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.has_bias, self.batch_first, self.bidirectional = has_bias, batch_first, bidirectional
        self.directions = 2 if bidirectional else 1
        dt = np.float32 if dtype is None else dtype
        init = Uniform(1 / math.sqrt(hidden_size))
        runs = [(layer, d) for layer in range(num_layers) for d in range(self.directions)]

        def made(kind, shape_of):
            """Parameters of one kind for every (layer, direction), named as MindSpore names them."""
            out = []
            for layer, d in runs:
                name = f"{kind}_l{layer}" + ("_reverse" if d else "")
                setattr(self, name, Parameter(initializer(init, shape_of(layer), dt), name=name))
                out.append(getattr(self, name))
            return out
        width = self.directions * hidden_size
        w_ih = made("weight_ih", lambda layer: [4 * hidden_size, input_size if layer == 0 else width])
        w_hh = made("weight_hh", lambda layer: [4 * hidden_size, hidden_size])
        if has_bias:
            b_ih = made("bias_ih", lambda layer: [4 * hidden_size])
            b_hh = made("bias_hh", lambda layer: [4 * hidden_size])
        self.run_weights = tuple((w_ih[k], w_hh[k]) + ((b_ih[k], b_hh[k]) if has_bias else ()) for k in range(len(runs)))
        self.matmul = ops.MatMul(transpose_b=True)
        self.step = _Gates(hidden_size)

    def construct(self, x, hx=None):
        if self.batch_first:
            x = ops.transpose(x, (1, 0, 2))
        n = self.hidden_size
        runs = self.num_layers * self.directions
        if hx is None:
            h0 = ops.zeros((runs, x.shape[1], n), x.dtype)
            c0 = ops.zeros((runs, x.shape[1], n), x.dtype)
        else:
            h0, c0 = hx
        h_n = ops.zeros((runs, x.shape[1], n), x.dtype)
        c_n = ops.zeros((runs, x.shape[1], n), x.dtype)
        layer_input = x
        for layer in range(self.num_layers):
            k = layer * self.directions
            out, h, c = self.direction(layer_input, h0[k], c0[k], self.run_weights[k], False)
            h_n[k] = h
            c_n[k] = c
            if self.bidirectional:
                out_reverse, h, c = self.direction(layer_input, h0[k + 1], c0[k + 1], self.run_weights[k + 1], True)
                h_n[k + 1] = h
                c_n[k + 1] = c
                out = ops.concat((out, out_reverse), 2)
            layer_input = out
        if self.batch_first:
            layer_input = ops.transpose(layer_input, (1, 0, 2))
        return layer_input, (h_n, c_n)

    def direction(self, xs, h, c, weights, reverse):
        """One layer in one direction: (its outputs [steps, batch, hidden], last h, last c)."""
        steps, batch = xs.shape[0], xs.shape[1]
        # every step's input times weight_ih, in one product
        projected = ops.reshape(self.matmul(ops.reshape(xs, (steps * batch, xs.shape[2])), weights[0]),
                                (steps, batch, 4 * self.hidden_size))
        if self.has_bias:
            projected = projected + weights[2] + weights[3]
        out = ops.zeros((steps, batch, self.hidden_size), xs.dtype)
        for s in range(steps):
            t = steps - 1 - s if reverse else s
            gates = projected[t] + self.matmul(h, weights[1])
            h, c = self.step(gates, c)
            out[t] = h
        return out, h, c

    def extend_repr(self):
        return (f"input_size={self.input_size}, hidden_size={self.hidden_size}, num_layers={self.num_layers}, "
                f"has_bias={self.has_bias}, batch_first={self.batch_first}, bidirectional={self.bidirectional}")
