"""Tensor: a NumPy array with MindSpore's interface, printing and eager operators."""
import numpy as np

from . import dtype as mstype
from .primitives import aval_of
from .surface import BINOPS, METHODS, COMPARE, MATMUL_OP, OpSpec, spec
from .tensor_repr import format_tensor


def _default_array(data, dtype):
    if dtype is not None:
        return np.array(data.asnumpy() if isinstance(data, Tensor) else data, dtype=mstype.to_numpy(dtype))
    if isinstance(data, Tensor):
        return data.asnumpy().copy()
    if isinstance(data, bool):
        return np.array(data)
    if isinstance(data, int):
        return np.array(data, np.int64)
    if isinstance(data, float):
        return np.array(data, np.float32)
    arr = np.array(data)
    if arr.dtype == np.float64 and not isinstance(data, np.ndarray):
        arr = arr.astype(np.float32)   # Python float lists are Float32, as in MindSpore
    return arr


def to_array(x):
    return x._data if isinstance(x, Tensor) else x


def wrap(value):
    if isinstance(value, tuple):
        return tuple(wrap(v) for v in value)
    if isinstance(value, (np.ndarray, np.generic)):
        return Tensor._from_array(np.asarray(value))
    return value


def apply_op(op_spec: OpSpec, args, kwargs=None, what=None):
    """Run a primitive eagerly (MindSpore's PYNATIVE mode) on Tensors or arrays."""
    operands, attrs = op_spec.bind(args, kwargs or {}, what or op_spec.prim)
    prim = op_spec.primitive
    attrs = {k: (mstype.to_numpy(v).type if isinstance(v, mstype.Type) else to_array(v)) for k, v in attrs.items()}
    # Python scalars stay weak (NumPy 2 / MindSpore): float32 tensor * 2.0 is float32.
    operands = [o if isinstance(o, (bool, int, float)) else np.asarray(to_array(o)) for o in operands]
    out = prim(*operands, **{a: attrs[a] for a in prim.attrs})
    if op_spec.output is not None:
        out = out[op_spec.output]
    if operands and all(isinstance(o, (bool, int, float)) for o in operands):
        aval = prim.rule(*[aval_of(o) for o in operands], *[attrs[a] for a in prim.attrs])
        out = np.asarray(out, dtype=aval.dtype)
    return wrap(out)


def _binary(name, reverse=False):
    op = spec(name)

    def method(self, other):
        return apply_op(op, (other, self) if reverse else (self, other))
    return method


class Tensor:
    """A MindSpore-style tensor holding a NumPy array."""
    __array_priority__ = 100

    def __init__(self, input_data=None, dtype=None):
        if input_data is None:
            raise TypeError("Tensor needs input_data")
        self._data = _default_array(input_data, dtype)

    @classmethod
    def _from_array(cls, arr):
        t = cls.__new__(cls)
        t._data = arr
        return t

    def asnumpy(self):
        return self._data

    def __array__(self, dtype=None, copy=None):
        arr = self._data if dtype is None else self._data.astype(dtype)
        return arr.copy() if copy and arr is self._data else arr

    @property
    def shape(self):
        return self._data.shape

    @property
    def dtype(self):
        return mstype.from_numpy(self._data.dtype)

    @property
    def ndim(self):
        return self._data.ndim

    @property
    def size(self):
        return self._data.size

    @property
    def T(self):
        return apply_op(spec("transpose", perm=None), (self,))

    def __repr__(self):
        return format_tensor(self._data, self.dtype.name)

    def __str__(self):
        return str(self._data)

    def __len__(self):
        return len(self._data)

    def __bool__(self):
        return bool(self._data)

    def __float__(self):
        return float(self._data)

    def __int__(self):
        return int(self._data)

    def __getitem__(self, index):
        return wrap(np.asarray(self._data[to_array(index)]))

    def __getattr__(self, name):
        op = METHODS.get(name)
        if op is None:
            raise AttributeError(f"'Tensor' object has no attribute '{name}'")
        def method(*args, **kwargs):
            # np.sum(tensor, ...) calls tensor.sum(axis, dtype=None, out=None, ...)
            kwargs = {k: v for k, v in kwargs.items() if not (k in ("dtype", "out") and v is None)}
            return apply_op(op, (self,) + args, kwargs, f"Tensor.{name}")
        return method

    def __matmul__(self, other):
        return apply_op(MATMUL_OP, (self, other))

    def __rmatmul__(self, other):
        return apply_op(MATMUL_OP, (other, self))

    def __setitem__(self, index, value):
        self._data[to_array(index)] = to_array(value)

    def copy(self):
        return Tensor._from_array(self._data.copy())

    def var(self, axis=None, ddof=0, keepdims=False, dtype=None, out=None):
        """The mean of the squared deviations from the mean (as Resolver.moment writes it);
        np.var(tensor) calls this with dtype and out."""
        if ddof != 0 or dtype is not None or out is not None:
            raise TypeError("Tensor.var supports ddof=0 only, and no dtype or out")
        deviation = self - self.mean(axis=axis, keep_dims=True)
        return (deviation * deviation).mean(axis=axis, keep_dims=keepdims)

    def std(self, axis=None, ddof=0, keepdims=False, dtype=None, out=None):
        return apply_op(spec("sqrt"), (self.var(axis, ddof, keepdims, dtype, out),))

    def __abs__(self):
        return wrap(np.abs(self._data))

    def __neg__(self):
        return apply_op(spec("neg"), (self,))

    def __pos__(self):
        return self

    __hash__ = object.__hash__


for _node, _name in BINOPS.items():
    _py = {"add": "add", "sub": "sub", "mul": "mul", "div": "truediv", "pow": "pow", "floordiv": "floordiv",
           "mod": "mod"}[_name]
    setattr(Tensor, f"__{_py}__", _binary(_name))
    setattr(Tensor, f"__r{_py}__", _binary(_name, reverse=True))
for _node, _name in COMPARE.items():
    _py = {"greater": "gt", "less": "lt", "greater_equal": "ge", "less_equal": "le",
           "equal": "eq", "not_equal": "ne"}[_name]
    setattr(Tensor, f"__{_py}__", _binary(_name))
