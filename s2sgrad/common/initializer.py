"""Parameter initializers with MindSpore 2.10's classes, names and defaults.

`initializer(init, shape, dtype)` takes an Initializer object, its name ('normal',
'he_uniform', 'zeros', ...; any case), a number (Constant) or a Tensor. Random draws
use NumPy's global generator, which `s2sgrad.set_seed` seeds.

Fan-in and fan-out follow MindSpore: a weight [out, in] has fan_in = in; a
convolution weight [out, in, kh, kw] has fan_in = in * kh * kw and fan_out =
out * kh * kw.
"""
import math
import numbers

import numpy as np

from .. import dtype as mstype
from ..tensor import Tensor

_ALIASES = {}


def _register(*aliases):
    """Register an Initializer under its lower-case class name and its aliases."""
    def register(cls):
        for name in (cls.__name__.lower(),) + aliases:
            _ALIASES.setdefault(name, cls)
        return cls
    return register


def _calculate_fan_in_and_fan_out(shape):
    """(fan_in, fan_out) of a weight shape: [out, in, *kernel] -> (in*prod(kernel), out*prod(kernel))."""
    if len(shape) < 2:
        raise ValueError(f"'fan_in' and 'fan_out' can not be computed for tensor with fewer than 2 dimensions, "
                         f"but got dimensions {len(shape)}.")
    receptive = int(np.prod(shape[2:])) if len(shape) > 2 else 1
    return shape[1] * receptive, shape[0] * receptive


def _calculate_correct_fan(shape, mode):
    mode = mode.lower()
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"'mode' {mode} not supported, please use one of ['fan_in', 'fan_out']")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(shape)
    return fan_in if mode == "fan_in" else fan_out


def _calculate_gain(nonlinearity, param=None):
    """The gain of He initialisation for a nonlinearity (leaky_relu: sqrt(2 / (1 + slope**2)))."""
    linear = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
              "sigmoid")
    if nonlinearity in linear:
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, (int, float)) and not isinstance(param, bool):
            slope = param
        else:
            raise ValueError(f"For 'HeUniform', 'negative_slope' {param} is not a valid number.When 'nonlinearity' "
                             f"has been set to 'leaky_relu', 'negative_slope' should be int or float type, but got "
                             f"{type(param)}.")
        return math.sqrt(2.0 / (1 + slope ** 2))
    raise ValueError(f"For 'HeUniform', the argument 'nonlinearity' should be one of ['sigmoid', 'tanh', 'relu' or "
                     f"'leaky_relu'], but got {nonlinearity}.")


class Initializer:
    """Base class: `init(shape)` gives a float64 NumPy array of that shape."""

    def __init__(self, **kwargs):
        self._kwargs = kwargs

    def _initialize(self, shape):
        raise NotImplementedError("Must be overridden!")

    def __call__(self, shape):
        return np.asarray(self._initialize(tuple(shape)), dtype=np.float64)


@_register("zeros")
class Zero(Initializer):
    """All zeros."""

    def _initialize(self, shape):
        return np.zeros(shape)


@_register("ones")
class One(Initializer):
    """All ones."""

    def _initialize(self, shape):
        return np.ones(shape)


class Constant(Initializer):
    """Every element `value` (a number, or an array broadcast to the shape)."""

    def __init__(self, value):
        super().__init__(value=value)
        self.value = value

    def _initialize(self, shape):
        return np.broadcast_to(np.asarray(self.value, dtype=np.float64), shape).copy()


@_register()
class Uniform(Initializer):
    """U(-scale, scale)."""

    def __init__(self, scale=0.07):
        super().__init__(scale=scale)
        self.scale = scale

    def _initialize(self, shape):
        return np.random.uniform(-self.scale, self.scale, shape)


@_register()
class Normal(Initializer):
    """N(mean, sigma**2)."""

    def __init__(self, sigma=0.01, mean=0.0):
        super().__init__(sigma=sigma, mean=mean)
        self.sigma = sigma
        self.mean = mean

    def _initialize(self, shape):
        if self.sigma < 0:
            raise ValueError("sigma < 0")
        return np.random.normal(self.mean, self.sigma, shape)


@_register()
class TruncatedNormal(Initializer):
    """N(mean, sigma**2) redrawn outside [mean + a*sigma, mean + b*sigma]: within two
    standard deviations of the mean by default, as MindSpore documents."""

    def __init__(self, sigma=0.01, mean=0.0, a=-2.0, b=2.0):
        super().__init__(sigma=sigma, mean=mean, a=a, b=b)
        self.sigma, self.mean, self.a, self.b = sigma, mean, a, b

    def _initialize(self, shape):
        if self.sigma < 0:
            raise ValueError("sigma < 0")
        if not self.a < self.b:
            raise ValueError(f"For TruncatedNormal, 'a' must be less than 'b', but got a={self.a}, b={self.b}.")
        z = np.random.standard_normal(shape)
        bad = (z < self.a) | (z > self.b)
        while bad.any():                     # redraw the tails: exactly the truncated distribution
            z[bad] = np.random.standard_normal(int(bad.sum()))
            bad = (z < self.a) | (z > self.b)
        return self.mean + self.sigma * z


@_register("he_uniform")
class HeUniform(Initializer):
    """U(-bound, bound) with bound = gain * sqrt(3 / fan), gain from `nonlinearity` and
    `negative_slope`, fan = fan_in or fan_out (`mode`)."""

    def __init__(self, negative_slope=0, mode="fan_in", nonlinearity="leaky_relu"):
        super().__init__(negative_slope=negative_slope, mode=mode, nonlinearity=nonlinearity)
        self.negative_slope, self.mode, self.nonlinearity = negative_slope, mode, nonlinearity

    def bound(self, shape):
        fan = _calculate_correct_fan(shape, self.mode)
        return math.sqrt(3.0) * _calculate_gain(self.nonlinearity, self.negative_slope) / math.sqrt(fan)

    def _initialize(self, shape):
        bound = self.bound(shape)
        return np.random.uniform(-bound, bound, shape)


@_register("he_normal")
class HeNormal(Initializer):
    """N(0, sigma**2) with sigma = gain / sqrt(fan)."""

    def __init__(self, negative_slope=0, mode="fan_in", nonlinearity="leaky_relu"):
        super().__init__(negative_slope=negative_slope, mode=mode, nonlinearity=nonlinearity)
        self.negative_slope, self.mode, self.nonlinearity = negative_slope, mode, nonlinearity

    def sigma(self, shape):
        fan = _calculate_correct_fan(shape, self.mode)
        return _calculate_gain(self.nonlinearity, self.negative_slope) / math.sqrt(fan)

    def _initialize(self, shape):
        return np.random.normal(0.0, self.sigma(shape), shape)


@_register("xavier_uniform")
class XavierUniform(Initializer):
    """U(-bound, bound) with bound = gain * sqrt(6 / (fan_in + fan_out))."""

    def __init__(self, gain=1):
        super().__init__(gain=gain)
        self.gain = gain

    def bound(self, shape):
        fan_in, fan_out = _calculate_fan_in_and_fan_out(shape)
        return self.gain * math.sqrt(6.0 / (fan_in + fan_out))

    def _initialize(self, shape):
        bound = self.bound(shape)
        return np.random.uniform(-bound, bound, shape)


@_register("xavier_normal")
class XavierNormal(Initializer):
    """N(0, sigma**2) with sigma = gain * sqrt(2 / (fan_in + fan_out))."""

    def __init__(self, gain=1):
        super().__init__(gain=gain)
        self.gain = gain

    def _initialize(self, shape):
        fan_in, fan_out = _calculate_fan_in_and_fan_out(shape)
        return np.random.normal(0.0, self.gain * math.sqrt(2.0 / (fan_in + fan_out)), shape)


def initializer(init, shape=None, dtype=mstype.float32):
    """A Tensor of `shape` and `dtype` from `init`: an Initializer, its name, a number
    (Constant) or a Tensor (returned as it is; its shape must match)."""
    if isinstance(init, np.ndarray):          # s2sgrad extra: a NumPy array acts like a Tensor
        init = Tensor(init)
    if not isinstance(init, (Tensor, numbers.Number, str, Initializer)):
        raise TypeError(f"For 'initializer', the type of the 'init' argument should be 'Tensor', 'number', "
                        f"'string' or 'initializer', but got {type(init)}.")
    if isinstance(init, Tensor):
        if shape is not None:
            want = tuple(shape) if isinstance(shape, (tuple, list)) else (shape,)
            if tuple(init.shape) != want:
                raise ValueError(f"For 'initializer', the shape of the 'init' argument should be same as the "
                                 f"argument 'shape', but got the 'init' shape {list(init.shape)} and the 'shape' "
                                 f"{list(want)}.")
        return init
    if shape is None:
        raise ValueError("For 'initializer', the argument 'shape' is needed unless 'init' is a Tensor.")
    shape = tuple(shape) if isinstance(shape, (tuple, list)) else (shape,)
    for value in shape:
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
            raise ValueError(f"For 'initializer', the argument 'shape' is invalid, the value of 'shape' must be "
                             f"positive integer, but got {shape}")
    if isinstance(init, str):
        cls = _ALIASES.get(init.lower())
        if cls is None:
            raise ValueError(f"For 'initializer', the class corresponding to '{init}' was not found.")
        init = cls()
    elif isinstance(init, numbers.Number):
        init = Constant(init)
    return Tensor(init(shape).astype(mstype.to_numpy(dtype)))


__all__ = ["Initializer", "initializer", "TruncatedNormal", "Normal", "Uniform", "HeUniform", "HeNormal",
           "XavierUniform", "XavierNormal", "One", "Zero", "Constant"]
