"""Parameter and ParameterTuple, with MindSpore's names, validation and messages."""
import itertools

import numpy as np

from .tensor import Tensor

_counter = itertools.count(1)
AUTO_PREFIX = "Parameter#"
_layout_epoch = [0]


def layout_epoch():
    """Changes whenever any Parameter changes shape, dtype or requires_grad: compiled
    programs specialised to the old layout are then rebuilt. Values may change freely."""
    return _layout_epoch[0]


class Parameter(Tensor):
    """A trainable Tensor with a name. Its value is read at every call, so updating
    it (`set_data`, an optimizer step) changes the next result without recompiling."""

    def __init__(self, default_input, name=None, requires_grad=True, layerwise_parallel=False,
                 parallel_optimizer=True, storage_format="", device=None):
        super().__init__(default_input.asnumpy() if isinstance(default_input, Tensor) else default_input)
        self.name = name if name is not None else f"{AUTO_PREFIX}{next(_counter)}"
        self._requires_grad = requires_grad

    @property
    def requires_grad(self):
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value):
        self._requires_grad = value
        _layout_epoch[0] += 1

    @property
    def has_auto_name(self):
        return self.name.startswith(AUTO_PREFIX)

    def set_data(self, data):
        arr = np.asarray(data.asnumpy() if isinstance(data, Tensor) else data)
        if arr.shape != self._data.shape:
            _layout_epoch[0] += 1
        self._data = arr.astype(self._data.dtype, copy=True)
        return self

    def __repr__(self):
        return (f"Parameter (name={self.name}, shape={self.shape}, dtype={self.dtype}, "
                f"requires_grad={self.requires_grad})")

    __str__ = __repr__


class ParameterTuple(tuple):
    """A tuple of Parameters with unique names."""

    def __new__(cls, iterable):
        data = tuple(iterable)
        seen = {}
        for x in data:
            if not isinstance(x, Parameter):
                raise TypeError("For ParameterTuple initialization, ParameterTuple input should be "
                                f"'Parameter' collection, but got a {type(iterable)}. ")
            other = seen.setdefault(x.name, x)
            if other is not x:
                raise ValueError(f"For ParameterTuple initialization, the parameter {x} its name '{x.name}' "
                                 "already exists. Please set a unique name for the parameter.")
        return tuple.__new__(cls, data)
