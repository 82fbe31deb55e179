"""Parameter initializers with MindSpore's defaults for Dense."""
import math

import numpy as np

from .. import dtype as mstype
from ..tensor import Tensor


def initializer(init, shape, dtype=np.float32):
    """A Tensor of `shape` from an init spec: a Tensor/array, a number, a name
    ('zeros', 'ones', 'normal', 'uniform', 'he_uniform'), or ('uniform', bound)."""
    dt = mstype.to_numpy(dtype)
    shape = tuple(shape)
    if isinstance(init, Tensor):
        arr = init.asnumpy()
    elif isinstance(init, np.ndarray):
        arr = init
    elif isinstance(init, (int, float)):
        arr = np.full(shape, init)
    elif isinstance(init, tuple) and init[0] == "uniform":
        arr = np.random.uniform(-init[1], init[1], shape)
    elif init == "zeros":
        arr = np.zeros(shape)
    elif init == "ones":
        arr = np.ones(shape)
    elif init == "normal":
        arr = np.random.normal(0.0, 0.01, shape)
    elif init == "uniform":
        arr = np.random.uniform(-0.07, 0.07, shape)
    elif init == "he_uniform":
        # HeUniform(negative_slope=sqrt(5)) over fan_in = shape[1]: bound 1/sqrt(fan_in).
        fan_in = shape[1] if len(shape) > 1 else shape[0]
        bound = math.sqrt(6.0 / ((1 + 5.0) * fan_in))
        arr = np.random.uniform(-bound, bound, shape)
    else:
        raise ValueError(f"unknown initializer {init!r}")
    if arr.shape != shape:
        raise ValueError(f"initializer shape {list(arr.shape)} does not match {list(shape)}")
    return Tensor(arr.astype(dt))
