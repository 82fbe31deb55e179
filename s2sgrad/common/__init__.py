"""MindSpore's `common`: Tensor, Parameter, ParameterTuple, dtypes, initializer."""
from .. import dtype
from ..dtype import (float16, float32, float64, int8, int16, int32, int64, uint8, bool_)
from ..parameter import Parameter, ParameterTuple
from ..tensor import Tensor
from .initializer import initializer
