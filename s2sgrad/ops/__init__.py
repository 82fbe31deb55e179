"""MindSpore-style `ops`: primitive classes, functional forms and GradOperation.

A primitive object (`ops.MatMul(transpose_b=True)`) is an `OpSpec` with its
`__init__` attributes fixed; calling it on Tensors runs eagerly, and inside a
compiled construct it becomes one primitive call.
"""
import numpy as np

from .. import dtype as mstype
from ..surface import OpSpec, spec, clip_spec, einsum_spec, gather_batch_dims_zero
from ..tensor import apply_op, to_array, wrap
from .grad_operation import GradOperation


class Primitive:
    """Base of MindSpore primitive objects."""
    _spec: OpSpec = None

    def __init__(self, **fixed):
        base = type(self)._spec
        self.spec = OpSpec(base.prim, base.params, base.defaults, {**base.fixed, **fixed}, base.output,
                           base.variadic, base.derive)

    def __call__(self, *args, **kwargs):
        return apply_op(self.spec, args, kwargs, type(self).__name__)

    def __repr__(self):
        return f"Prim[{type(self).__name__}]"


def _prim_class(cls_name, op_spec, init=None):
    def __init__(self, *args, **kwargs):
        fixed = init(*args, **kwargs) if init else {}
        Primitive.__init__(self, **fixed)
    return type(cls_name, (Primitive,), {"_spec": op_spec, "__init__": __init__})


MatMul = _prim_class("MatMul", spec("matmul"),
                     lambda transpose_a=False, transpose_b=False: dict(transpose_a=bool(transpose_a),
                                                                       transpose_b=bool(transpose_b)))
BiasAdd = _prim_class("BiasAdd", spec("bias_add"), lambda data_format="NCHW": {})
Add = _prim_class("Add", spec("add"))
Sub = _prim_class("Sub", spec("sub"))
Mul = _prim_class("Mul", spec("mul"))
RealDiv = _prim_class("RealDiv", spec("div"))
Div = _prim_class("Div", spec("div"))
Neg = _prim_class("Neg", spec("neg"))
Square = _prim_class("Square", spec("square"))
Exp = _prim_class("Exp", spec("exp"))
Log = _prim_class("Log", spec("log"))
Sqrt = _prim_class("Sqrt", spec("sqrt"))
Pow = _prim_class("Pow", spec("pow"))
ReLU = _prim_class("ReLU", spec("relu"))
Sigmoid = _prim_class("Sigmoid", spec("sigmoid"))
Tanh = _prim_class("Tanh", spec("tanh"))
ReduceSum = _prim_class("ReduceSum", spec("reduce_sum", "axis", axis=()),
                        lambda keep_dims=False: dict(keep_dims=bool(keep_dims)))
ReduceMean = _prim_class("ReduceMean", spec("reduce_mean", "axis", axis=()),
                         lambda keep_dims=False: dict(keep_dims=bool(keep_dims)))
Reshape = _prim_class("Reshape", spec("reshape", ("input_shape", "shape")))
Transpose = _prim_class("Transpose", spec("transpose", ("input_perm", "perm")))
ExpandDims = _prim_class("ExpandDims", spec("expand_dims", "axis"))
Softmax = _prim_class("Softmax", spec("softmax"), lambda axis=-1: dict(axis=axis[0] if isinstance(axis, tuple) else axis))
LogSoftmax = _prim_class("LogSoftmax", spec("log_softmax"), lambda axis=-1: dict(axis=axis))
SoftmaxCrossEntropyWithLogits = _prim_class("SoftmaxCrossEntropyWithLogits", spec("softmax_cross_entropy"))
SparseSoftmaxCrossEntropyWithLogits = _prim_class(
    "SparseSoftmaxCrossEntropyWithLogits", spec("sparse_softmax_cross_entropy", output=0),
    lambda is_grad=False: {})
ZerosLike = _prim_class("ZerosLike", spec("zeros_like"))
OnesLike = _prim_class("OnesLike", spec("ones_like"))
Cast = _prim_class("Cast", spec("cast", ("dtype", "dtype")))
Maximum = _prim_class("Maximum", spec("maximum"))
Minimum = _prim_class("Minimum", spec("minimum"))
Abs = _prim_class("Abs", spec("abs"))
Sin = _prim_class("Sin", spec("sin"))
Cos = _prim_class("Cos", spec("cos"))
Tan = _prim_class("Tan", spec("tan"))
Erf = _prim_class("Erf", spec("erf"))
Log1p = _prim_class("Log1p", spec("log1p"))
Expm1 = _prim_class("Expm1", spec("expm1"))
Sign = _prim_class("Sign", spec("sign"))
Floor = _prim_class("Floor", spec("floor"))
Round = _prim_class("Round", spec("round"))
Select = _prim_class("Select", spec("select"))
Tile = _prim_class("Tile", spec("tile", ("multiples", "multiples"), ("dims", "multiples")))
Squeeze = _prim_class("Squeeze", spec("squeeze"), lambda axis=(): dict(axis=axis))
ReduceMax = _prim_class("ReduceMax", spec("reduce_max", "axis", axis=()),
                        lambda keep_dims=False: dict(keep_dims=bool(keep_dims)))
ReduceMin = _prim_class("ReduceMin", spec("reduce_min", "axis", axis=()),
                        lambda keep_dims=False: dict(keep_dims=bool(keep_dims)))
Argmax = _prim_class("Argmax", spec("argmax", keep_dims=False),
                     lambda axis=-1, output_type=mstype.int32: dict(axis=axis, dtype=output_type))
Argmin = _prim_class("Argmin", spec("argmin", keep_dims=False),
                     lambda axis=-1, output_type=mstype.int32: dict(axis=axis, dtype=output_type))
CumSum = _prim_class("CumSum", spec("cumsum", "axis"),
                     lambda exclusive=False, reverse=False: dict(exclusive=bool(exclusive), reverse=bool(reverse)))
Gather = _prim_class("Gather", spec("gather", "axis", "batch_dims", derive=gather_batch_dims_zero),
                     lambda batch_dims=0: gather_batch_dims_zero({"batch_dims": batch_dims}))


def _dtype_of_on_value(attrs):
    on_value = getattr(attrs["on_value"], "obj", attrs["on_value"])   # resolve passes Static values
    dtype = getattr(on_value, "dtype", None)
    return {"dtype": dtype} if dtype is not None else {}


class OneHot(Primitive):
    """OneHot()(indices, depth, on_value, off_value); the output dtype is on_value's."""
    _spec = OpSpec("one_hot", (("depth", "depth"), ("on_value", "on_value"), ("off_value", "off_value")),
                   {"dtype": mstype.float32}, derive=_dtype_of_on_value)

    def __init__(self, axis=-1):
        if axis != -1:
            raise ValueError("s2sgrad's OneHot supports axis=-1 only")
        super().__init__()


class JoinPrimitive(Primitive):
    """ops.Concat(axis) / ops.Stack(axis), called on a tuple of tensors: NumPy's function
    (`numpy`) eagerly, and the same call in compiled code (Resolver.join)."""
    numpy = None

    def __init__(self, axis=0):
        self.spec, self.axis = None, axis

    def __call__(self, tensors):
        return wrap(type(self).numpy([to_array(t) for t in tensors], axis=self.axis))


class Concat(JoinPrimitive):
    numpy = staticmethod(np.concatenate)


class Stack(JoinPrimitive):
    numpy = staticmethod(np.stack)


class Split(Primitive):
    """ops.Split(axis=0, output_num=1)(x): x in output_num equal parts along axis, a tuple
    (np.split eagerly, which says when the axis does not divide; split_part primitives in
    compiled code, Resolver.split)."""

    def __init__(self, axis=0, output_num=1):
        self.spec, self.axis, self.output_num = None, axis, output_num

    def __call__(self, x):
        return tuple(wrap(part) for part in np.split(to_array(x), self.output_num, axis=self.axis))


def concat(tensors, axis=0):
    return Concat(axis)(tensors)


def stack(tensors, axis=0):
    return Stack(axis)(tensors)


concat._s2s_join, stack._s2s_join = np.concatenate, np.stack
cat = concat


def _functional(name, op_spec):
    def fn(*args, **kwargs):
        return apply_op(op_spec, args, kwargs, f"ops.{name}")
    fn.__name__ = name
    fn.__qualname__ = name
    fn._s2s_spec = op_spec
    return fn


_FUNCTIONAL = {
    "matmul": spec("matmul", transpose_a=False, transpose_b=False),
    "add": spec("add"), "sub": spec("sub"), "mul": spec("mul"), "div": spec("div"),
    "neg": spec("neg"), "square": spec("square"), "exp": spec("exp"), "log": spec("log"),
    "sqrt": spec("sqrt"), "pow": spec("pow"), "relu": spec("relu"), "sigmoid": spec("sigmoid"),
    "tanh": spec("tanh"), "bias_add": spec("bias_add"),
    "sum": spec("reduce_sum", ("dim", "axis"), ("keepdim", "keep_dims"), axis=None, keep_dims=False),
    "mean": spec("reduce_mean", ("axis", "axis"), ("keep_dims", "keep_dims"), axis=None, keep_dims=False),
    "reduce_sum": spec("reduce_sum", ("axis", "axis"), ("keep_dims", "keep_dims"), axis=(), keep_dims=False),
    "reshape": spec("reshape", "shape"),
    "transpose": spec("transpose", ("input_perm", "perm")),
    "expand_dims": spec("expand_dims", "axis"),
    "softmax": spec("softmax", "axis", axis=-1),
    "log_softmax": spec("log_softmax", ("axis", "axis"), axis=-1),
    "cast": spec("cast", "dtype"),
    "zeros_like": spec("zeros_like"), "ones_like": spec("ones_like"),
    "stop_gradient": spec("stop_gradient"),
    "zeros": spec("zeros", "shape", "dtype", dtype=mstype.float32),
    "ones": spec("ones", "shape", "dtype", dtype=mstype.float32),
    "maximum": spec("maximum"), "minimum": spec("minimum"), "abs": spec("abs"),
    "sin": spec("sin"), "cos": spec("cos"), "tan": spec("tan"), "erf": spec("erf"),
    "log1p": spec("log1p"), "expm1": spec("expm1"),
    "sign": spec("sign"), "floor": spec("floor"), "round": spec("round"),
    "clip_by_value": clip_spec(("clip_value_min", "min_value"), ("clip_value_max", "max_value")),
    "clamp": clip_spec(("min", "min_value"), ("max", "max_value")),
    "clip": clip_spec(("min", "min_value"), ("max", "max_value")),
    "select": spec("select"), "where": spec("select"),
    "tile": spec("tile", ("dims", "multiples"), ("multiples", "multiples")),
    "squeeze": spec("squeeze", "axis", axis=None),
    "amax": spec("reduce_max", "axis", ("keepdims", "keep_dims"), axis=None, keep_dims=False),
    "amin": spec("reduce_min", "axis", ("keepdims", "keep_dims"), axis=None, keep_dims=False),
    "argmax": spec("argmax", ("dim", "axis"), ("keepdim", "keep_dims"), ("axis", "axis"), ("keepdims", "keep_dims"),
                   axis=None, keep_dims=False, dtype=mstype.int64),
    "argmin": spec("argmin", ("axis", "axis"), ("keepdims", "keep_dims"), ("dim", "axis"), ("keepdim", "keep_dims"),
                   axis=None, keep_dims=False, dtype=mstype.int64),
    "cumsum": spec("cumsum", "axis", exclusive=False, reverse=False),
    "logsumexp": spec("logsumexp", "axis", ("keep_dims", "keep_dims"), keep_dims=False),
    "gather": spec("gather", ("axis", "axis"), ("batch_dims", "batch_dims"), derive=gather_batch_dims_zero),
    "einsum": einsum_spec(),
}
for _name, _spec in _FUNCTIONAL.items():
    globals()[_name] = _functional(_name, _spec)


# -- GELU, dropout, layer norm and Parameter assignment (primitives_norm.py) ----------------

def _dropout_init(keep_prob=0.5, Seed0=0, Seed1=0):
    """Seed0/Seed1 are accepted for MindSpore compatibility; s2sgrad.set_seed seeds every draw."""
    if isinstance(keep_prob, bool) or not isinstance(keep_prob, (int, float)):
        raise TypeError(f"For 'Dropout', the type of 'keep_prob' must be float, but got {type(keep_prob).__name__}.")
    if not 0 < keep_prob <= 1:
        raise ValueError(f"For 'Dropout', the 'keep_prob' must be in range (0.0, 1.0], but got {keep_prob}.")
    return dict(keep_prob=float(keep_prob))


Dropout = _prim_class("Dropout", spec("dropout"), _dropout_init)
GeLU = _prim_class("GeLU", spec("gelu"), lambda approximate=True: dict(approximate=bool(approximate)))
LayerNorm = _prim_class("LayerNorm", spec("layer_norm"),
                        lambda begin_norm_axis=1, begin_params_axis=1, epsilon=1e-7: dict(
                            begin_norm_axis=begin_norm_axis, begin_params_axis=begin_params_axis,
                            epsilon=float(epsilon)))
_ASSIGN = spec("assign")


def assign(variable, value):
    """MindSpore's ops.assign: write `value` into the Parameter `variable` and return it.
    Eagerly the Parameter changes in place; in a compiled construct the new value is
    written back after the call (s2sgrad/state.py)."""
    from ..parameter import Parameter
    if not isinstance(variable, Parameter):
        raise TypeError(f"For 'Assign', the 'variable' must be a Parameter, but got {type(variable).__name__}.")
    if tuple(getattr(value, "shape", ())) != tuple(variable.shape):
        raise ValueError(f"For 'Assign', the shape of 'value' {list(getattr(value, 'shape', ()))} must equal the "
                         f"shape of 'variable' {list(variable.shape)}.")
    apply_op(_ASSIGN, (variable, value), {}, "ops.assign")
    return variable


assign._s2s_spec = _ASSIGN


class Assign(Primitive):
    """ops.Assign()(variable, value): see `assign`."""
    _spec = _ASSIGN

    def __call__(self, variable, value):
        return assign(variable, value)


# -- convolution, pooling and flatten (primitives_conv.py) ----------------------------
from .conv import Conv2D, MaxPool, AvgPool, Flatten, conv2d, max_pool2d, avg_pool2d, flatten  # noqa: E402
