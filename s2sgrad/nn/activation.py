"""Activations beyond ReLU/Sigmoid/Tanh (layers.py), written as MindSpore 2.10 writes
them: GELU (a fused primitive, ops.GeLU), Softmax, LogSoftmax, LeakyReLU. The others
compose existing primitives, so their gradients are the primitives' exact ones
(LeakyReLU's Maximum splits a tie at x = 0 0.5/0.5, as MindSpore's does)."""
from .. import ops
from .cell import Cell
from .layers import _ACTIVATIONS


class GELU(Cell):
    """approximate=True (MindSpore's default): 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)));
    approximate=False: 0.5·x·(1 + erf(x/√2))."""

    def __init__(self, approximate=True):
        super().__init__()
        if not isinstance(approximate, bool):
            raise TypeError(f"For 'GELU', the 'approximate' must be bool, but got {type(approximate).__name__}.")
        self.approximate = approximate
        self.gelu = ops.GeLU(approximate=approximate)

    def construct(self, x):
        return self.gelu(x)


def _axis(axis, what, allow_tuple):
    kinds = (int, tuple) if allow_tuple else (int,)
    if isinstance(axis, bool) or not isinstance(axis, kinds) or \
            isinstance(axis, tuple) and not all(isinstance(a, int) and not isinstance(a, bool) for a in axis):
        raise TypeError(f"For '{what}', the type of 'axis' must be {'int or tuple[int]' if allow_tuple else 'int'}, "
                        f"but got {type(axis).__name__}.")
    return axis


class Softmax(Cell):
    """softmax over `axis` (int or tuple of ints). The last axis uses the fused
    Softmax kernel; other axes compute exp(x - max) / sum with the max held constant
    (it cancels, so the gradient is exact)."""

    def __init__(self, axis=-1):
        super().__init__()
        self.axis = _axis(axis, "Softmax", True)
        self.last = axis in (-1, (-1,))
        self.softmax = ops.Softmax(-1)
        self.reduce_max = ops.ReduceMax(keep_dims=True)
        self.reduce_sum = ops.ReduceSum(keep_dims=True)
        self.exp = ops.Exp()

    def construct(self, x):
        if self.last:
            return self.softmax(x)
        e = self.exp(x - ops.stop_gradient(self.reduce_max(x, self.axis)))
        return e / self.reduce_sum(e, self.axis)


class LogSoftmax(Cell):
    """log_softmax over `axis` (an int), fused for the last axis, else
    x - max - log(sum(exp(x - max))) with the max held constant."""

    def __init__(self, axis=-1):
        super().__init__()
        self.axis = _axis(axis, "LogSoftmax", False)
        self.log_softmax = ops.LogSoftmax(-1)
        self.reduce_max = ops.ReduceMax(keep_dims=True)
        self.reduce_sum = ops.ReduceSum(keep_dims=True)
        self.exp = ops.Exp()
        self.log = ops.Log()

    def construct(self, x):
        if self.axis == -1:
            return self.log_softmax(x)
        shifted = x - ops.stop_gradient(self.reduce_max(x, self.axis))
        return shifted - self.log(self.reduce_sum(self.exp(shifted), self.axis))


class LeakyReLU(Cell):
    """max(alpha·x, x) for alpha <= 1, min(alpha·x, x) otherwise (MindSpore's construct)."""

    def __init__(self, alpha=0.2):
        super().__init__()
        if isinstance(alpha, bool) or not isinstance(alpha, (int, float)):
            raise TypeError(f"For 'LeakyReLU', the 'alpha' must be float or int, but got {type(alpha).__name__}.")
        self.alpha = alpha
        self.maximum = ops.Maximum()
        self.minimum = ops.Minimum()

    def construct(self, x):
        if self.alpha <= 1:
            return self.maximum(x * self.alpha, x)
        return self.minimum(x * self.alpha, x)

    def extend_repr(self):
        return f"alpha={self.alpha}"


# get_activation('gelu'), Dense(..., activation='leakyrelu'), ...: MindSpore's names.
_ACTIVATIONS.update({"gelu": GELU, "softmax": Softmax, "logsoftmax": LogSoftmax, "leakyrelu": LeakyReLU})
