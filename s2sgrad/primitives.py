"""The primitive table: the unit of differentiation.

Each primitive is defined once, here: its name (also the kernel's name in generated
code), how many array operands it takes, its static attributes, its shape rule, its
CPU kernel (`kernels.py`), and, where the kernel call depends on shapes, a lowering
to simpler kernel calls. Its adjoint lives in `templates/`. Operators, NumPy calls,
Tensor methods, MindSpore primitives and functional ops all map onto this one set
(`s2sgrad/lowering.py`), so no pass special-cases an operation.
"""
from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np

from . import kernels
from . import nodes as N


@dataclass(frozen=True)
class AVal:
    """Abstract value: what the transpiler knows of a runtime array or scalar."""
    dtype: np.dtype
    shape: tuple

    @property
    def ndim(self):
        return len(self.shape)

    def __repr__(self):
        return f"{self.dtype}{list(self.shape)}"


def aval_of(value):
    """AVal of a runtime value (array or NumPy scalar); Python scalars stay weak."""
    if isinstance(value, (bool, int, float)):
        return value
    arr = np.asarray(value)
    return AVal(arr.dtype, arr.shape)


class RuleError(Exception):
    """A shape rule refused its operands; the caller adds the user's location."""


@dataclass
class Primitive:
    name: str
    n_in: int
    rule: Callable
    attrs: tuple = ()
    n_out: int = 1
    kernel: Optional[Callable] = None     # the compiled/python kernel, named `name`
    eager: Optional[Callable] = None      # NumPy implementation for PyNative-style calls
    lower: Optional[Callable] = None      # (operand nodes, attr nodes, avals, attr values) -> node
    elementwise: bool = False             # weak Python scalars take the result dtype
    differentiable: bool = True           # False: output carries no gradient (int/bool)
    helpers: tuple = field(default=())    # extra kernels the lowering calls

    def __call__(self, *args, **attrs):
        """Run eagerly on NumPy values."""
        fn = self.eager or self.kernel
        return fn(*args, *[attrs[a] for a in self.attrs])


TABLE = {}


def primitive(name, n_in, rule, **kw):
    kernel = getattr(kernels, name, None)
    prim = Primitive(name, n_in, rule, kernel=kernel, **kw)
    TABLE[name] = prim
    return prim


# -- shape rules -------------------------------------------------------------

def dtype_of(a):
    return a.dtype if isinstance(a, AVal) else a


def shape_of(a):
    return a.shape if isinstance(a, AVal) else ()


def result_dtype(*args):
    dt = np.result_type(*[dtype_of(a) for a in args])
    return dt


def broadcast_rule(*args):
    try:
        shape = np.broadcast_shapes(*[shape_of(a) for a in args])
    except ValueError:
        raise RuleError("operands could not be broadcast together with shapes "
                        + " ".join(str(list(shape_of(a))) for a in args)) from None
    return AVal(result_dtype(*args), shape)


def float_rule(x):
    dt = dtype_of(x) if isinstance(x, AVal) else np.result_type(x)
    if not np.issubdtype(dt, np.floating):
        dt = np.dtype(np.float64) if dt.itemsize > 4 or dt == np.bool_ else np.dtype(np.float32)
    return AVal(dt, shape_of(x))


def compare_rule(x, y):
    return AVal(np.dtype(np.bool_), broadcast_rule(x, y).shape)


def same_rule(x, *_):
    return x if isinstance(x, AVal) else AVal(np.result_type(x), ())


def normalize_axes(axis, ndim):
    """MindSpore axis argument (int, tuple, () or None = all) -> sorted tuple."""
    if axis is None or axis == ():
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    out = []
    for a in axes:
        if not -ndim <= a < max(ndim, 1):
            raise RuleError(f"axis {a} is out of range for a {ndim}-d operand")
        out.append(a % ndim if ndim else 0)
    return tuple(sorted(set(out)))


def reduce_rule(x, axis, keep_dims):
    axes = normalize_axes(axis, x.ndim)
    if keep_dims:
        shape = tuple(1 if i in axes else s for i, s in enumerate(x.shape))
    else:
        shape = tuple(s for i, s in enumerate(x.shape) if i not in axes)
    dt = x.dtype if x.dtype != np.bool_ else np.dtype(np.int64)
    return AVal(dt, shape)


def mean_rule(x, axis, keep_dims):
    r = reduce_rule(x, axis, keep_dims)
    return AVal(float_rule(x).dtype, r.shape)


def matmul_rule(x, y, transpose_a, transpose_b):
    if not (isinstance(x, AVal) and isinstance(y, AVal) and x.ndim == 2 and y.ndim == 2):
        raise RuleError(f"MatMul takes two 2-d operands, got shapes {list(shape_of(x))} and {list(shape_of(y))}")
    m, k = x.shape[::-1] if transpose_a else x.shape
    k2, n = y.shape[::-1] if transpose_b else y.shape
    if k != k2:
        raise RuleError(f"MatMul inner dimensions differ: {list(x.shape)}{'ᵀ' if transpose_a else ''} "
                        f"@ {list(y.shape)}{'ᵀ' if transpose_b else ''}")
    if x.dtype != y.dtype or not np.issubdtype(x.dtype, np.floating):
        raise RuleError(f"MatMul needs two float operands of one dtype, got {x.dtype} and {y.dtype}")
    return AVal(x.dtype, (m, n))


def bias_add_rule(x, b):
    if x.ndim < 2 or b.ndim != 1 or b.shape[0] != x.shape[1]:
        raise RuleError(f"BiasAdd needs a bias of shape [C] for input [N, C, ...], got {list(b.shape)} "
                        f"and {list(x.shape)}")
    return AVal(result_dtype(x, b), x.shape)


def reshape_rule(x, shape):
    x = same_rule(x)
    shape = tuple(int(s) for s in shape)
    size = int(np.prod(x.shape))
    if shape.count(-1) > 1:
        raise RuleError(f"Reshape: at most one -1 in the target shape, got {list(shape)}")
    if -1 in shape:
        rest = int(np.prod([s for s in shape if s != -1]))
        if rest == 0 or size % rest:
            raise RuleError(f"cannot reshape {list(x.shape)} into {list(shape)}")
        shape = tuple(size // rest if s == -1 else s for s in shape)
    if int(np.prod(shape)) != size:
        raise RuleError(f"cannot reshape {list(x.shape)} into {list(shape)}")
    return AVal(x.dtype, shape)


def full_perm(perm, ndim):
    return tuple(range(ndim))[::-1] if perm is None else tuple(p % ndim for p in perm)


def transpose_rule(x, perm):
    perm = full_perm(perm, x.ndim)
    if sorted(perm) != list(range(x.ndim)):
        raise RuleError(f"Transpose: {list(perm)} is not a permutation of the {x.ndim} axes")
    return AVal(x.dtype, tuple(x.shape[p] for p in perm))


def expand_dims_rule(x, axis):
    shape = list(shape_of(x))
    if not -len(shape) - 1 <= axis <= len(shape):
        raise RuleError(f"ExpandDims: axis {axis} out of range for a {len(shape)}-d operand")
    shape.insert(axis % (len(shape) + 1), 1)
    return AVal(dtype_of(x) if isinstance(x, AVal) else np.result_type(x), tuple(shape))


def last_axis_rule(x, axis=-1):
    if axis not in (-1, x.ndim - 1) or x.ndim < 1:
        raise RuleError(f"softmax-type operations support the last axis only, got axis={axis}")
    return float_rule(x)


def sce_rule(logits, labels):
    if logits.ndim != 2 or labels.shape != logits.shape:
        raise RuleError(f"SoftmaxCrossEntropyWithLogits needs logits and labels of one shape [N, C], "
                        f"got {list(logits.shape)} and {list(labels.shape)}")
    return AVal(logits.dtype, logits.shape[:1]), logits


def sparse_sce_rule(logits, labels):
    if logits.ndim != 2 or labels.shape != logits.shape[:1] or not np.issubdtype(labels.dtype, np.integer):
        raise RuleError(f"SparseSoftmaxCrossEntropyWithLogits needs logits [N, C] and int labels [N], "
                        f"got {list(logits.shape)} and {labels!r}")
    return AVal(logits.dtype, ()), logits


def one_hot_rule(indices, depth, on_value, off_value, dtype):
    if not np.issubdtype(indices.dtype, np.integer):
        raise RuleError(f"OneHot needs integer indices, got {indices.dtype}")
    return AVal(np.dtype(dtype), indices.shape + (int(depth),))


def cast_rule(x, dtype):
    return AVal(np.dtype(dtype), shape_of(x))


def unbroadcast_rule(g, x):
    return AVal(dtype_of(g) if isinstance(g, AVal) else np.result_type(g), shape_of(x))


def broadcast_to_rule(x, shape):
    return AVal(dtype_of(x) if isinstance(x, AVal) else np.result_type(x), tuple(shape))


def expand_reduced_rule(g, axis, keep_dims, ndim):
    """The shape of a reduction's gradient with the reduced axes put back as 1s."""
    if shape_of(g) == () or keep_dims:
        return same_rule(g)
    axes = normalize_axes(axis, ndim)
    shape = list(g.shape)
    for a in axes:
        shape.insert(a, 1)
    return AVal(g.dtype, tuple(shape))


def reduced_count_rule(x, axis):
    return AVal(float_rule(x).dtype, ())


# -- lowerings: kernel calls whose form depends on shapes ----------------------

def dtype_cast(node, dtype):
    """A scalar node as a typed constant, e.g. float32(2.0)."""
    return N.call(np.dtype(dtype).name if np.dtype(dtype) != np.bool_ else "bool_", node)


def sum_axes(node, axes, keep):
    """Sum over several axes as a chain of single-axis kernel calls, last axis first."""
    for a in sorted(axes, reverse=True):
        node = N.call("sum_axis_keep" if keep else "sum_axis", node, N.const(a))
    return node


def lower_reduce(args, attr_nodes, avals, attrs, mean=False):
    x = avals[0]
    axes = normalize_axes(attrs["axis"], x.ndim)
    if not x.ndim or not axes:
        return args[0]
    keep = attrs["keep_dims"]
    if len(axes) == x.ndim and not keep:
        node = N.call("sum_all", args[0])
    else:
        node = sum_axes(args[0], axes, keep)
    if not mean:
        return node
    return N.call("div", node, lower_reduced_count(args, attr_nodes, avals, {"axis": axes}))


def lower_unbroadcast(args, attr_nodes, avals, attrs):
    """Sum a gradient of the broadcast shape back to an operand's shape."""
    g, x = avals
    gshape, xshape = shape_of(g), shape_of(x)
    if gshape == xshape:
        return args[0]
    if xshape == ():
        return N.call("sum_all", args[0])
    lead = len(gshape) - len(xshape)
    node = args[0]
    for _ in range(lead):
        node = N.call("sum_axis", node, N.const(0))
    keep = [i for i, s in enumerate(xshape) if s == 1 and gshape[lead + i] != 1]
    return sum_axes(node, keep, True)


def lower_reshape(args, attr_nodes, avals, attrs):
    x = avals[0]
    if shape_of(x) == ():
        return N.call("fill", attr_nodes[0], args[0])
    if tuple(attrs["shape"]) == ():
        return N.call("sum_all", args[0])     # a size-1 array to its only element
    return N.call("reshape", args[0], attr_nodes[0])


def lower_expand_reduced(args, attr_nodes, avals, attrs):
    g = avals[0]
    if shape_of(g) == () or attrs["keep_dims"]:
        return args[0]
    node = args[0]
    for a in normalize_axes(attrs["axis"], attrs["ndim"]):
        node = N.call("expand_dims", node, N.const(a))
    return node


def lower_reduced_count(args, attr_nodes, avals, attrs):
    x = avals[0]
    count = None
    for a in normalize_axes(attrs["axis"], x.ndim):
        term = N.shape_of(args[0], a)
        count = term if count is None else N.call("mul", count, term)
    return dtype_cast(count if count is not None else N.const(1), reduced_count_rule(x, None).dtype)


def lower_broadcast_to(args, attr_nodes, avals, attrs):
    x = avals[0]
    if shape_of(x) == ():
        return N.call("fill", attr_nodes[0], args[0])
    if shape_of(x) == tuple(attrs["shape"]):
        return args[0]
    return N.call("broadcast_to", args[0], attr_nodes[0])


def lower_bias_add(args, attr_nodes, avals, attrs):
    x = avals[0]
    if x.ndim == 2:
        return N.call("add", *args)
    return N.call("add", args[0], N.call("reshape", args[1], N.literal((1, -1) + (1,) * (x.ndim - 2))))


def scalar_aware(kernel_name, scalar_form):
    """Kernels that take arrays only get a scalar form for 0-d operands."""
    def lower(args, attr_nodes, avals, attrs):
        if shape_of(avals[0]) == ():
            return scalar_form(args, attr_nodes, avals, attrs)
        return N.call(kernel_name, *args, *attr_nodes)
    return lower


def lower_expand_dims(args, attr_nodes, avals, attrs):
    if shape_of(avals[0]) == ():
        return N.call("fill", N.literal((1,)), args[0])
    return N.call("expand_dims", args[0], N.const(attrs["axis"] % (avals[0].ndim + 1)))


# -- the table -------------------------------------------------------------------

def _eager_reduce(fn):
    def run(x, axis, keep_dims):
        x = np.asarray(x)
        out = fn(x, axis=normalize_axes(axis, x.ndim), keepdims=keep_dims)
        return out
    return run


add = primitive("add", 2, broadcast_rule, elementwise=True)
sub = primitive("sub", 2, broadcast_rule, elementwise=True)
mul = primitive("mul", 2, broadcast_rule, elementwise=True)
div = primitive("div", 2, lambda x, y: float_rule(broadcast_rule(x, y)), elementwise=True)
pow = primitive("pow", 2, broadcast_rule, elementwise=True)
neg = primitive("neg", 1, same_rule, elementwise=True)
square = primitive("square", 1, same_rule, elementwise=True)
exp = primitive("exp", 1, float_rule, elementwise=True)
log = primitive("log", 1, float_rule, elementwise=True)
sqrt = primitive("sqrt", 1, float_rule, elementwise=True)
relu = primitive("relu", 1, same_rule, elementwise=True)
sigmoid = primitive("sigmoid", 1, float_rule, elementwise=True)
tanh = primitive("tanh", 1, float_rule, elementwise=True)
log_or_zero = primitive("log_or_zero", 2, broadcast_rule, elementwise=True, differentiable=False)
for _cmp in ("greater", "less", "greater_equal", "less_equal", "equal", "not_equal"):
    primitive(_cmp, 2, compare_rule, elementwise=True, differentiable=False)

matmul = primitive("matmul", 2, matmul_rule, attrs=("transpose_a", "transpose_b"))
bias_add = primitive("bias_add", 2, bias_add_rule, lower=lower_bias_add,
                     eager=lambda x, b: x + b.reshape((1, -1) + (1,) * (np.ndim(x) - 2)))
reduce_sum = primitive("reduce_sum", 1, reduce_rule, attrs=("axis", "keep_dims"), lower=lower_reduce,
                       eager=_eager_reduce(np.sum))
reduce_mean = primitive("reduce_mean", 1, mean_rule, attrs=("axis", "keep_dims"),
                        lower=lambda *a: lower_reduce(*a, mean=True), eager=_eager_reduce(np.mean))
reshape = primitive("reshape", 1, reshape_rule, attrs=("shape",), lower=lower_reshape,
                    eager=lambda x, shape: np.reshape(x, shape))
transpose = primitive("transpose", 1, transpose_rule, attrs=("perm",),
                      lower=lambda args, an, av, at: N.call("transpose", args[0],
                                                            N.literal(full_perm(at["perm"], av[0].ndim))),
                      eager=lambda x, perm: np.transpose(x, perm))
expand_dims = primitive("expand_dims", 1, expand_dims_rule, attrs=("axis",), lower=lower_expand_dims)
broadcast_to = primitive("broadcast_to", 1, broadcast_to_rule, attrs=("shape",), lower=lower_broadcast_to,
                         eager=lambda x, shape: np.broadcast_to(x, shape).copy())
unbroadcast = primitive("unbroadcast", 2, unbroadcast_rule, lower=lower_unbroadcast,
                        eager=lambda g, x: g)  # only ever appears in generated backward code
softmax = primitive("softmax", 1, last_axis_rule, attrs=("axis",),
                    lower=lambda args, an, av, at: N.call("softmax", args[0]),
                    eager=lambda x, axis: kernels.softmax(np.asarray(x)))
log_softmax = primitive("log_softmax", 1, last_axis_rule, attrs=("axis",),
                        lower=lambda args, an, av, at: N.call("log_softmax", args[0]),
                        eager=lambda x, axis: kernels.log_softmax(np.asarray(x)))
softmax_cross_entropy = primitive("softmax_cross_entropy", 2, sce_rule, n_out=2)
sparse_softmax_cross_entropy = primitive("sparse_softmax_cross_entropy", 2, sparse_sce_rule, n_out=2)
one_hot = primitive("one_hot", 1, one_hot_rule, attrs=("depth", "on_value", "off_value", "dtype"),
                    differentiable=False)
cast = primitive("cast", 1, cast_rule, attrs=("dtype",),
                 lower=scalar_aware("cast", lambda args, an, av, at: dtype_cast(args[0], at["dtype"])))
zeros_like = primitive("zeros_like", 1, same_rule, differentiable=False,
                       lower=scalar_aware("zeros_like", lambda a, an, av, at: dtype_cast(N.const(0), dtype_of(av[0]))))
ones_like = primitive("ones_like", 1, same_rule, differentiable=False,
                      lower=scalar_aware("ones_like", lambda a, an, av, at: dtype_cast(N.const(1), dtype_of(av[0]))))

expand_reduced = primitive("expand_reduced", 1, expand_reduced_rule, attrs=("axis", "keep_dims", "ndim"),
                           lower=lower_expand_reduced)
reduced_count = primitive("reduced_count", 1, reduced_count_rule, attrs=("axis",), lower=lower_reduced_count,
                          differentiable=False)

# Kernels that lowerings call but that are not primitives of their own.
HELPER_KERNELS = ("sum_all", "sum_axis", "sum_axis_keep", "fill", "const_like")
