"""Layers: Dense, activations and SequentialCell, written as MindSpore writes them."""
import math

import numpy as np

from .. import ops
from ..common.initializer import HeUniform, Uniform, initializer
from ..ops.conv import from_rows, to_rows
from ..parameter import Parameter
from .cell import Cell


class ReLU(Cell):
    def __init__(self):
        super().__init__()
        self.relu = ops.ReLU()

    def construct(self, x):
        return self.relu(x)


class Sigmoid(Cell):
    def __init__(self):
        super().__init__()
        self.sigmoid = ops.Sigmoid()

    def construct(self, x):
        return self.sigmoid(x)


class Tanh(Cell):
    def __init__(self):
        super().__init__()
        self.tanh = ops.Tanh()

    def construct(self, x):
        return self.tanh(x)


_ACTIVATIONS = {"relu": ReLU, "sigmoid": Sigmoid, "tanh": Tanh}


def get_activation(name):
    if name not in _ACTIVATIONS:
        raise KeyError(f"Unknown activation type '{name}'. Valid names: {sorted(_ACTIVATIONS)}")
    return _ACTIVATIONS[name]()


class Dense(Cell):
    """y = activation(x @ weight.T + bias), weight [out, in]; input of any rank >= 2
    is seen as rows [-1, in] and the result reshaped to [..., out], as MindSpore does."""

    def __init__(self, in_channels, out_channels, weight_init=None, bias_init=None, has_bias=True,
                 activation=None, dtype=None):
        super().__init__()
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.has_bias = has_bias
        dt = np.float32 if dtype is None else dtype
        if weight_init is None:
            weight_init = HeUniform(math.sqrt(5))
        self.weight = Parameter(initializer(weight_init, [out_channels, in_channels], dt), name="weight")
        if has_bias:
            if bias_init is None:
                bias_init = Uniform(1 / math.sqrt(in_channels))
            self.bias = Parameter(initializer(bias_init, [out_channels], dt), name="bias")
        self.matmul = ops.MatMul(transpose_b=True)
        self.bias_add = ops.BiasAdd()
        if isinstance(activation, str):
            activation = get_activation(activation)
        self.activation = activation
        self.activation_flag = activation is not None

    def construct(self, x):
        rows = to_rows(x)                 # N-d input: [..., in] -> [-1, in] (nothing for 2-d)
        y = self.matmul(rows, self.weight)
        if self.has_bias:
            y = self.bias_add(y, self.bias)
        if self.activation_flag:
            y = self.activation(y)
        return from_rows(y, x)            # back to [..., out]

    def extend_repr(self):
        s = f"input_channels={self.in_channels}, output_channels={self.out_channels}, has_bias={self.has_bias}"
        if self.activation_flag:
            s += f", activation={self.activation}"
        return s


class SequentialCell(Cell):
    """Runs its cells in order; they are named "0", "1", ..."""

    def __init__(self, *args):
        super().__init__()
        cells = args[0] if len(args) == 1 and isinstance(args[0], (list, tuple)) else args
        for i, cell in enumerate(cells):
            setattr(self, str(i), cell)
        object.__setattr__(self, "cell_list", tuple(cells))

    def __getitem__(self, i):
        return self.cell_list[i]

    def __len__(self):
        return len(self.cell_list)

    def construct(self, x):
        for cell in self.cell_list:
            x = cell(x)
        return x


class CellList(Cell):
    """A list of cells, registered as "0", "1", ...; `for cell in self.cells:` in construct
    is unrolled while resolving."""

    def __init__(self, args=None):
        super().__init__()
        object.__setattr__(self, "cell_list", ())
        for cell in args or ():
            self.append(cell)

    def append(self, cell):
        setattr(self, str(len(self.cell_list)), cell)
        object.__setattr__(self, "cell_list", self.cell_list + (cell,))
        return self

    def __getitem__(self, i):
        return self.cell_list[i]

    def __len__(self):
        return len(self.cell_list)

    def __iter__(self):
        return iter(self.cell_list)
