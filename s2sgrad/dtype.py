"""MindSpore dtypes: objects that print as `Float32` and map to NumPy dtypes."""
import numpy as np


class Type:
    """A MindSpore dtype such as `float32`; prints as MindSpore does (`Float32`)."""

    def __init__(self, name, np_dtype):
        self.name = name
        self.np_dtype = np.dtype(np_dtype)

    def __repr__(self):
        return self.name

    __str__ = __repr__

    def __eq__(self, other):
        if isinstance(other, Type):
            return self.np_dtype == other.np_dtype
        return NotImplemented

    def __hash__(self):
        return hash(self.np_dtype)


float16 = Type("Float16", np.float16)
float32 = Type("Float32", np.float32)
float64 = Type("Float64", np.float64)
int8 = Type("Int8", np.int8)
int16 = Type("Int16", np.int16)
int32 = Type("Int32", np.int32)
int64 = Type("Int64", np.int64)
uint8 = Type("UInt8", np.uint8)
bool_ = Type("Bool", np.bool_)
float_ = float32

_BY_NUMPY = {t.np_dtype: t for t in (float16, float32, float64, int8, int16, int32, int64, uint8, bool_)}


def from_numpy(np_dtype):
    """The MindSpore dtype of a NumPy dtype."""
    try:
        return _BY_NUMPY[np.dtype(np_dtype)]
    except KeyError:
        raise TypeError(f"s2sgrad has no dtype for numpy {np.dtype(np_dtype)}") from None


def to_numpy(dtype):
    """The NumPy dtype of a MindSpore dtype, a NumPy dtype or a Python type."""
    if isinstance(dtype, Type):
        return dtype.np_dtype
    return np.dtype(dtype)
