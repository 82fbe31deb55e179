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
RANDOM = {"dropout"}      # primitives whose kernels draw random numbers (primitives_norm.py)


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


def broadcast_shapes(*shapes):
    """np.broadcast_shapes, where a None dimension is a size known only at run time."""
    ndim = max(len(s) for s in shapes)
    out = []
    for dims in zip(*[(1,) * (ndim - len(s)) + tuple(s) for s in shapes]):
        known = {d for d in dims if d is not None and d != 1}
        if len(known) > 1:
            raise RuleError("operands could not be broadcast together with shapes "
                            + " ".join(str(list(s)) for s in shapes))
        out.append(known.pop() if known else (None if None in dims else 1))
    return tuple(out)


def broadcast_rule(*args):
    return AVal(result_dtype(*args), broadcast_shapes(*[shape_of(a) for a in args]))


def float_rule(x):
    dt = dtype_of(x) if isinstance(x, AVal) else np.result_type(x)
    if not np.issubdtype(dt, np.floating):
        dt = np.dtype(np.float64) if dt.itemsize > 4 or dt == np.bool_ else np.dtype(np.float32)
    return AVal(dt, shape_of(x))


def int_mod_rule(x, y):
    """x % y of integers (of floats, x % y has a derivative this table does not write)."""
    out = broadcast_rule(x, y)
    if out.dtype.kind not in "iu":
        raise RuleError(f"% of {out.dtype} values is not supported here; write x - y * np.floor(x / y)")
    return out


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
    """2-d @ 2-d (with transposes), and np.dot's vector forms: 1-d @ 2-d, 2-d @ 1-d, 1-d @ 1-d."""
    if not (isinstance(x, AVal) and isinstance(y, AVal) and 1 <= x.ndim <= 2 and 1 <= y.ndim <= 2):
        raise RuleError(f"MatMul takes 1-d or 2-d operands, got shapes {list(shape_of(x))} and {list(shape_of(y))}")
    if x.ndim == 1 or y.ndim == 1:          # a transpose flag on a 1-d operand does nothing, as .T does
        xs = x.shape[::-1] if transpose_a else x.shape
        ys = y.shape[::-1] if transpose_b else y.shape
        k, k2 = xs[-1], ys[0]
        if k != k2 and None not in (k, k2):
            raise RuleError(f"dot: inner dimensions differ: {list(xs)} @ {list(ys)}")
        if x.dtype != y.dtype or not np.issubdtype(x.dtype, np.floating):
            raise RuleError(f"dot needs two float operands of one dtype, got {x.dtype} and {y.dtype}")
        return AVal(x.dtype, xs[:-1] + ys[1:])
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


def target_shape(shape):
    """A reshape's target as a tuple: NumPy also takes one int (`x.reshape(-1)`)."""
    return (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)


def reshape_rule(x, shape):
    x = same_rule(x)
    shape = tuple(int(s) for s in target_shape(shape))
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


def static_shape(x, what):
    """x's shape, which the lowering of `what` needs to know while transpiling."""
    shape = shape_of(x)
    if any(s is None for s in shape):
        raise RuleError(f"{what} needs operands whose shapes are known while transpiling, got {list(shape)}")
    return shape


def one_axis(axis, ndim, what):
    """A single axis as a non-negative int."""
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise RuleError(f"{what} takes a single int axis, got {axis!r}")
    if not -ndim <= axis < ndim:
        raise RuleError(f"{what}: axis {axis} is out of range for a {ndim}-d operand")
    return int(axis) % ndim


def select_rule(cond, x, y):
    """Select / where: the three operands broadcast; the result has x's and y's dtype."""
    return AVal(result_dtype(x, y), broadcast_rule(cond, x, y).shape)


def clip_rule(x, min_value, max_value):
    return same_rule(x)


def tile_layout(shape, multiples):
    """Shape and multiples padded with leading 1s to one length (MindSpore Tile, np.tile)."""
    multiples = (multiples,) if isinstance(multiples, (int, np.integer)) else tuple(multiples)
    if any(isinstance(m, bool) or not isinstance(m, (int, np.integer)) or m < 0 for m in multiples):
        raise RuleError(f"Tile: multiples must be non-negative ints, got {list(multiples)}")
    n = max(len(shape), len(multiples))
    return ((1,) * (n - len(shape)) + tuple(shape),
            (1,) * (n - len(multiples)) + tuple(int(m) for m in multiples))


def tile_rule(x, multiples):
    shape, multiples = tile_layout(static_shape(x, "Tile"), multiples)
    return AVal(same_rule(x).dtype, tuple(s * m for s, m in zip(shape, multiples)))


def untile_rule(g, x, multiples):
    return AVal(same_rule(g).dtype, shape_of(x))


def squeeze_shape(shape, axis):
    if axis is None or axis == ():
        return tuple(s for s in shape if s != 1)
    axes = normalize_axes(axis, len(shape))
    for a in axes:
        if shape[a] != 1:
            raise RuleError(f"Squeeze: axis {a} has size {shape[a]}, only axes of size 1 can be squeezed")
    return tuple(s for i, s in enumerate(shape) if i not in axes)


def squeeze_rule(x, axis):
    return AVal(same_rule(x).dtype, squeeze_shape(static_shape(x, "Squeeze"), axis))


def extremum_rule(x, axis, keep_dims):
    """ReduceMax / ReduceMin: reduce_sum's shapes, the input's dtype, no empty reductions."""
    shape = static_shape(x, "ReduceMax/ReduceMin")
    for a in normalize_axes(axis, len(shape)):
        if shape and shape[a] == 0:
            raise RuleError(f"cannot take the maximum or minimum over axis {a} of size 0")
    return AVal(x.dtype, reduce_rule(x, axis, keep_dims).shape)


def argextremum_rule(x, axis, keep_dims, dtype):
    """Argmax / Argmin over one axis, or over the flattened input for axis=None."""
    shape = static_shape(x, "Argmax/Argmin")
    dtype = np.dtype(dtype)
    if not np.issubdtype(dtype, np.integer):
        raise RuleError(f"Argmax/Argmin output an integer dtype, got {dtype}")
    if axis is None or not shape:
        if 0 in shape:
            raise RuleError("cannot take the argmax or argmin of an empty array")
        return AVal(dtype, (1,) * len(shape) if keep_dims else ())
    a = one_axis(axis, len(shape), "Argmax/Argmin")
    if shape[a] == 0:
        raise RuleError(f"cannot take the argmax or argmin over axis {a} of size 0")
    return AVal(dtype, shape[:a] + ((1,) if keep_dims else ()) + shape[a + 1:])


def cumsum_rule(x, axis, exclusive, reverse):
    """CumSum along one axis; axis=None runs over the flattened input (np.cumsum)."""
    shape = static_shape(x, "CumSum")
    dtype = same_rule(x).dtype
    dtype = np.dtype(np.int64) if dtype == np.bool_ else dtype
    if axis is None:
        return AVal(dtype, (int(np.prod(shape)),))
    one_axis(axis, len(shape), "CumSum")
    return AVal(dtype, shape)


def logsumexp_rule(x, axis, keep_dims):
    static_shape(x, "logsumexp")
    return mean_rule(x, axis, keep_dims)


def parse_einsum(equation):
    """'ij,jk->ik' (or the tuple ('ij', 'jk', 'ik')) -> its three subscripts. Two
    operands, letters only, no letter twice in one operand; without '->' the output
    is the letters used once, sorted (NumPy's implicit mode)."""
    if isinstance(equation, tuple) and len(equation) == 3 and all(isinstance(s, str) for s in equation):
        a, b, out = equation
    elif isinstance(equation, str):
        lhs, arrow, out = equation.replace(" ", "").partition("->")
        operands = lhs.split(",")
        if len(operands) != 2:
            raise RuleError(f"einsum supports two operands, got equation {equation!r}")
        a, b = operands
        if not arrow:
            out = "".join(sorted(c for c in set(a + b) if (a + b).count(c) == 1))
    else:
        raise RuleError(f"einsum needs an equation string such as 'ij,jk->ik', got {equation!r}")
    for s in (a, b, out):
        if not all(c.isalpha() for c in s):
            raise RuleError(f"einsum subscripts must be letters (no '...'), got {a},{b}->{out}")
        if len(set(s)) != len(s):
            raise RuleError(f"einsum: a letter repeated within one operand (a trace or diagonal) is not "
                            f"supported, got {a},{b}->{out}")
    return a, b, out


def einsum_sizes(pairs, what="einsum"):
    """letter -> size, from (subscripts, shape) pairs; sizes must agree."""
    sizes = {}
    for subs, shape in pairs:
        if len(subs) != len(shape):
            raise RuleError(f"{what}: subscripts '{subs}' do not match an operand of shape {list(shape)}")
        for c, s in zip(subs, shape):
            if sizes.setdefault(c, s) != s:
                raise RuleError(f"{what}: letter '{c}' has sizes {sizes[c]} and {s}")
    return sizes


def einsum2_rule(x, y, equation):
    a, b, out = parse_einsum(equation)
    sizes = einsum_sizes([(a, static_shape(x, "einsum")), (b, static_shape(y, "einsum"))])
    missing = [c for c in out if c not in sizes]
    if missing:
        raise RuleError(f"einsum: output letter(s) {''.join(missing)} appear in no operand")
    if x.dtype != y.dtype or not np.issubdtype(x.dtype, np.floating):
        raise RuleError(f"einsum needs two float operands of one dtype, got {x.dtype} and {y.dtype}")
    return AVal(x.dtype, tuple(sizes[c] for c in out))


def einsum_grad_rule(which):
    def rule(g, x, y, equation):
        return AVal(dtype_of(g), shape_of(x if which == "a" else y))
    return rule


def gather_rule(params, indices, axis):
    """Gather / np.take: params.shape[:axis] + indices.shape + params.shape[axis+1:];
    axis=None takes from the flattened params."""
    shape = static_shape(params, "Gather")
    idtype = np.result_type(dtype_of(indices)) if not isinstance(indices, bool) else np.dtype(np.bool_)
    if not np.issubdtype(idtype, np.integer):
        raise RuleError(f"Gather needs integer indices, got {idtype}")
    ishape = static_shape(indices, "Gather")
    if not shape:
        raise RuleError("Gather needs params of at least one dimension")
    if axis is None:
        return AVal(params.dtype, ishape)
    a = one_axis(axis, len(shape), "Gather")
    return AVal(params.dtype, shape[:a] + ishape + shape[a + 1:])


def scatter_add_rule(g, indices, x, axis):
    return AVal(same_rule(g).dtype, shape_of(x))


def concat2_rule(x, y, axis):
    if not (isinstance(x, AVal) and isinstance(y, AVal)) or x.ndim != y.ndim or x.ndim == 0:
        raise RuleError(f"Concat needs two arrays of one rank (at least 1), got shapes "
                        f"{list(shape_of(x))} and {list(shape_of(y))}")
    a = one_axis(axis, x.ndim, "Concat")
    xs, ys = static_shape(x, "Concat"), static_shape(y, "Concat")
    if xs[:a] + xs[a + 1:] != ys[:a] + ys[a + 1:]:
        raise RuleError(f"Concat along axis {a}: shapes {list(xs)} and {list(ys)} differ on another axis")
    return AVal(result_dtype(x, y), xs[:a] + (xs[a] + ys[a],) + xs[a + 1:])


def slice_bounds(n, start, stop):
    """start, stop of x[start:stop] on an axis of size n (Python's slice rules, step 1)."""
    s, e, _ = slice(start, stop).indices(n)
    return s, max(s, e)


def slice_axis_rule(x, start, stop, axis):
    shape = static_shape(x, "slice")
    a = one_axis(axis, len(shape), "slice")
    s, e = slice_bounds(shape[a], start, stop)
    return AVal(x.dtype, shape[:a] + (e - s,) + shape[a + 1:])


def split_bounds(n, part, parts):
    """start, stop of part `part` when an axis of size n splits into `parts` equal parts."""
    if parts < 1 or n % parts:
        raise RuleError(f"an axis of size {n} does not split into {parts} equal parts")
    size = n // parts
    return part * size, (part + 1) * size


def split_index(shape, part, parts, axis):
    """The basic index reading part `part` of `parts` along axis: (:, ..., start:stop)."""
    a = one_axis(axis, len(shape), "split")
    return (slice(None),) * a + (slice(*split_bounds(shape[a], part, parts)),)


def split_part_rule(x, part, parts, axis):
    shape = static_shape(x, "split")
    a = one_axis(axis, len(shape), "split")
    s, e = split_bounds(shape[a], part, parts)
    return AVal(x.dtype, shape[:a] + (e - s,) + shape[a + 1:])


def unslice_axis_rule(g, x, start, stop, axis):
    return AVal(same_rule(g).dtype, shape_of(x))


def extremum_share_rule(x, z, axis, keep_dims):
    return AVal(float_rule(x).dtype, shape_of(x))


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
    target = target_shape(attrs["shape"])
    if shape_of(x) == ():
        return N.call("fill", N.literal(reshape_rule(x, target).shape), args[0])
    if target == ():
        return N.call("sum_all", args[0])     # a size-1 array to its only element
    if target == shape_of(x):
        return args[0]                        # nothing to do
    if all(isinstance(s, (int, np.integer)) for s in target):   # a static shape: a literal, so that
        return N.call("reshape", args[0], N.literal(tuple(int(s) for s in target)))   # `x.shape` keeps no x
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


def lower_matmul(args, attr_nodes, avals, attrs):
    flags = "".join("t" if attrs[a] else "n" for a in ("transpose_a", "transpose_b"))
    return N.call(f"matmul_{flags}", *args)


def lower_expand_dims(args, attr_nodes, avals, attrs):
    if shape_of(avals[0]) == ():
        return N.call("fill", N.literal((1,)), args[0])
    return N.call("expand_dims", args[0], N.const(attrs["axis"] % (avals[0].ndim + 1)))


# Kernels on one axis see the operand as (pre, n, post) around that axis: the
# lowerings below reshape to and from that view with static shapes.

def reshape_node(node, from_shape, to_shape):
    """`node` (of static shape `from_shape`) reshaped to `to_shape`; scalars in and out."""
    from_shape, to_shape = tuple(from_shape), tuple(to_shape)
    if from_shape == to_shape:
        return node
    if from_shape == ():
        return N.call("fill", N.literal(to_shape), node)
    if to_shape == ():
        return N.call("first", node)
    return N.call("reshape", node, N.literal(to_shape))


def split_axis(shape, axis):
    """`shape` seen as (pre, n, post) around `axis`."""
    return int(np.prod(shape[:axis])), shape[axis], int(np.prod(shape[axis + 1:]))


def cast_node(node, aval, dtype):
    """`node` (of abstract value `aval`) converted to `dtype` when it differs."""
    dtype = np.dtype(dtype)
    if dtype_of(aval) == dtype:
        return node
    if shape_of(aval) == ():
        return dtype_cast(node, dtype)
    return N.call("cast", node, N.name(dtype.name if dtype != np.bool_ else "bool_"))


def lower_reduce_one_axis(kind):
    """ReduceMax/ReduceMin/logsumexp: `<kind>_all` over everything, else a chain of
    `<kind>_mid` calls, last axis first."""
    def lower(args, attr_nodes, avals, attrs):
        x = avals[0]
        node = args[0]
        if kind == "logsumexp":
            node = cast_node(node, x, float_rule(x).dtype)
        axes = normalize_axes(attrs["axis"], x.ndim)
        if not x.ndim or not axes:
            return node
        keep = attrs["keep_dims"]
        if len(axes) == x.ndim and not keep:
            return N.call(f"{kind}_all", node)
        shape = x.shape
        for a in sorted(axes, reverse=True):
            pre, n, post = split_axis(shape, a)
            out = shape[:a] + ((1,) if keep else ()) + shape[a + 1:]
            node = reshape_node(N.call(f"{kind}_mid", reshape_node(node, shape, (pre, n, post))), (pre, post), out)
            shape = out
        return node
    return lower


def lower_argextremum(kind):
    def lower(args, attr_nodes, avals, attrs):
        x = avals[0]
        out = argextremum_rule(x, attrs["axis"], attrs["keep_dims"], attrs["dtype"])
        if not x.ndim:
            return dtype_cast(N.const(0), out.dtype)
        if attrs["axis"] is None:
            node = reshape_node(N.call(f"arg{kind}_all", args[0]), (), out.shape)
        else:
            pre, n, post = split_axis(x.shape, one_axis(attrs["axis"], x.ndim, "Argmax/Argmin"))
            node = N.call(f"arg{kind}_mid", reshape_node(args[0], x.shape, (pre, n, post)))
            node = reshape_node(node, (pre, post), out.shape)
        return cast_node(node, AVal(np.dtype(np.int64), out.shape), out.dtype)
    return lower


def lower_extremum_share(args, attr_nodes, avals, attrs):
    """Where x equals its reduced extremum z, 1/(number of equal extrema); else 0."""
    x, z = avals
    dtype = float_rule(x).dtype
    axes = normalize_axes(attrs["axis"], x.ndim)
    zk = args[1]
    if x.ndim and axes and not attrs["keep_dims"] and shape_of(z) != ():
        for a in axes:
            zk = N.call("expand_dims", zk, N.const(a))
    hit = cast_node(N.call("equal", args[0], zk), AVal(np.dtype(np.bool_), shape_of(x)), dtype)
    if not x.ndim or not axes:
        return hit
    return N.call("div", hit, sum_axes(N.copy_tree(hit), axes, True))


def lower_cumsum(args, attr_nodes, avals, attrs):
    x = avals[0]
    out = cumsum_rule(x, attrs["axis"], attrs["exclusive"], attrs["reverse"])
    node = cast_node(args[0], x, out.dtype)
    shape = shape_of(x)
    if attrs["axis"] is None:                 # over the flattened input
        view = (1, int(np.prod(shape)), 1)
    else:
        view = split_axis(shape, one_axis(attrs["axis"], len(shape), "CumSum"))
    node = N.call("cumsum_mid", reshape_node(node, shape, view), N.const(bool(attrs["exclusive"])),
                  N.const(bool(attrs["reverse"])))
    return reshape_node(node, view, out.shape)


def lower_tile(args, attr_nodes, avals, attrs):
    """Tile as reshape -> broadcast -> reshape: (s0, s1) tiled (m0, m1) is (1, s0, 1, s1)
    broadcast to (m0, s0, m1, s1), then merged."""
    x = avals[0]
    shape, multiples = tile_layout(shape_of(x), attrs["multiples"])
    out = tuple(s * m for s, m in zip(shape, multiples))
    if shape_of(x) == ():
        return N.call("fill", N.literal(out), args[0])
    split, spread = [], []
    for s, m in zip(shape, multiples):
        if m != 1:
            split.append(1)
            spread.append(m)
        split.append(s)
        spread.append(s)
    if split == spread:
        return reshape_node(args[0], shape_of(x), out)
    node = N.call("broadcast_to", reshape_node(args[0], shape_of(x), split), N.literal(tuple(spread)))
    return N.call("reshape", node, N.literal(out))


def lower_untile(args, attr_nodes, avals, attrs):
    """The adjoint of Tile: view g as (m0, s0, m1, s1), sum the m axes."""
    g, x = avals
    shape, multiples = tile_layout(shape_of(x), attrs["multiples"])
    split, axes = [], []
    for s, m in zip(shape, multiples):
        if m != 1:
            axes.append(len(split))
            split.append(m)
        split.append(s)
    node = reshape_node(args[0], shape_of(g), split)
    if axes:
        node = sum_axes(node, axes, False)
    return reshape_node(node, shape, shape_of(x))


def lower_squeeze(args, attr_nodes, avals, attrs):
    x = avals[0]
    return reshape_node(args[0], shape_of(x), squeeze_shape(shape_of(x), attrs["axis"]))


def gather_view(params, axis):
    """params seen as (pre, n, post) around the gathered axis (axis=None: flattened)."""
    shape = shape_of(params)
    if axis is None:
        return 1, int(np.prod(shape)), 1
    return split_axis(shape, one_axis(axis, len(shape), "Gather"))


def flat_indices(node, indices):
    ishape = shape_of(indices)
    return reshape_node(node, ishape, (int(np.prod(ishape)),)), int(np.prod(ishape))


def lower_gather(args, attr_nodes, avals, attrs):
    params, indices = avals
    pre, n, post = gather_view(params, attrs["axis"])
    idx, k = flat_indices(args[1], indices)
    node = N.call("gather_mid", reshape_node(args[0], params.shape, (pre, n, post)), idx)
    return reshape_node(node, (pre, k, post), gather_rule(params, indices, attrs["axis"]).shape)


def lower_scatter_add(args, attr_nodes, avals, attrs):
    g, indices, x = avals
    pre, n, post = gather_view(x, attrs["axis"])
    idx, k = flat_indices(args[1], indices)
    node = N.call("scatter_add_mid", reshape_node(args[0], shape_of(g), (pre, k, post)), idx, N.const(n))
    return reshape_node(node, (pre, n, post), shape_of(x))


def lower_concat2(args, attr_nodes, avals, attrs):
    return N.call("concat2", args[0], args[1], N.const(one_axis(attrs["axis"], avals[0].ndim, "Concat")))


def lower_slice_axis(args, attr_nodes, avals, attrs):
    x = avals[0]
    a = one_axis(attrs["axis"], x.ndim, "slice")
    pre, n, post = split_axis(x.shape, a)
    s, e = slice_bounds(n, attrs["start"], attrs["stop"])
    node = N.call("slice_mid", reshape_node(args[0], x.shape, (pre, n, post)), N.const(s), N.const(e))
    return reshape_node(node, (pre, e - s, post), x.shape[:a] + (e - s,) + x.shape[a + 1:])


def lower_split_part(args, attr_nodes, avals, attrs):
    """A view, x[:, start:stop] with constant bounds, as a user's slice is written."""
    index = split_index(avals[0].shape, attrs["part"], attrs["parts"], attrs["axis"])
    return N.subscript(args[0], N.literal(index) if len(index) > 1 else N.literal(index[0]))


def lower_unslice_axis(args, attr_nodes, avals, attrs):
    g, x = avals
    a = one_axis(attrs["axis"], x.ndim, "slice")
    pre, n, post = split_axis(x.shape, a)
    s, e = slice_bounds(n, attrs["start"], attrs["stop"])
    node = N.call("unslice_mid", reshape_node(args[0], shape_of(g), (pre, e - s, post)), N.const(n), N.const(s))
    return reshape_node(node, (pre, n, post), x.shape)


def lower_select(args, attr_nodes, avals, attrs):
    if all(shape_of(a) == () for a in avals):
        return N.call("select_scalar", *args)
    return N.call("select", *args)


def einsum_nodes(lhs, rhs, out, sizes):
    """Kernel calls computing a two-operand einsum. `lhs`/`rhs` are (node, subscripts,
    shape); `sizes` maps every letter to its size. Letters only one operand has and
    the output lacks are summed first; then batch, free and contracted letters become
    one batched matrix product (B, M, K) @ (B, K, N); output letters that neither
    operand has (an adjoint's broadcast) are broadcast last."""
    def presum(node, subs, shape, other):
        drop = [i for i, c in enumerate(subs) if c not in other and c not in out]
        if not drop:
            return node, subs, tuple(shape)
        kept = [i for i in range(len(subs)) if i not in drop]
        if not kept:
            return N.call("sum_all", node), "", ()
        return sum_axes(node, drop, False), "".join(subs[i] for i in kept), tuple(shape[i] for i in kept)

    def size(letters):
        return int(np.prod([sizes[c] for c in letters]))

    def arrange(node, subs, shape, order, view):
        perm = tuple(subs.index(c) for c in order)
        if perm != tuple(range(len(perm))):
            node = N.call("transpose", node, N.literal(perm))
            shape = tuple(shape[p] for p in perm)
        return reshape_node(node, shape, view)

    ln, ls, lshape = presum(*lhs, rhs[1])
    rn, rs, rshape = presum(*rhs, ls)
    batch = [c for c in out if c in ls and c in rs]
    contract = [c for c in ls if c in rs and c not in out]
    lfree = [c for c in out if c in ls and c not in rs]
    rfree = [c for c in out if c in rs and c not in ls]
    extra = [c for c in out if c not in ls and c not in rs]
    b, m, k, n = size(batch), size(lfree), size(contract), size(rfree)
    node = N.call("bmm", arrange(ln, ls, lshape, batch + lfree + contract, (b, m, k)),
                  arrange(rn, rs, rshape, batch + contract + rfree, (b, k, n)))
    shape, letters = (b, m, n), batch + lfree + rfree
    if all(len(group) == 1 for group in (batch, lfree, contract, rfree)) and not extra:
        # operands and result are transposed views, no reshapes: BLAS reads the operands
        # in place and bmm_as writes the result in the output's layout (no copies)
        perm = tuple(letters.index(c) for c in out)
        if perm != (0, 1, 2):
            node = N.call("bmm_as", *node.args, N.literal(perm))
        return node
    if extra:
        node = reshape_node(node, shape, tuple(sizes[c] for c in letters) + (1,) * len(extra))
        letters += extra
        shape = tuple(sizes[c] for c in letters)
        node = N.call("broadcast_to", node, N.literal(shape))
    out_shape = tuple(sizes[c] for c in out)
    perm = tuple(letters.index(c) for c in out)
    if perm == tuple(range(len(perm))):
        return reshape_node(node, shape, out_shape)
    node = N.call("transpose", reshape_node(node, shape, tuple(sizes[c] for c in letters)), N.literal(perm))
    return N.call("reshape", node, N.literal(out_shape))


def lower_einsum2(args, attr_nodes, avals, attrs):
    a, b, out = parse_einsum(attrs["equation"])
    x, y = avals
    sizes = einsum_sizes([(a, x.shape), (b, y.shape)])
    return einsum_nodes((args[0], a, x.shape), (args[1], b, y.shape), out, sizes)


def lower_einsum_grad(which):
    """d[a] = einsum(out, b -> a) and d[b] = einsum(a, out -> b)."""
    def lower(args, attr_nodes, avals, attrs):
        a, b, out = parse_einsum(attrs["equation"])
        g, x, y = avals
        sizes = einsum_sizes([(a, shape_of(x)), (b, shape_of(y)), (out, shape_of(g))])
        if which == "a":
            return einsum_nodes((args[0], out, shape_of(g)), (args[2], b, shape_of(y)), a, sizes)
        return einsum_nodes((args[1], a, shape_of(x)), (args[0], out, shape_of(g)), b, sizes)
    return lower


# Eager (NumPy) forms of the primitives above whose kernels need a lowering.

def _eager_einsum(x, xs, y, ys, out, shape):
    """np.einsum, allowing output letters that neither operand has (broadcast)."""
    present = "".join(c for c in out if c in xs + ys)
    r = np.einsum(f"{xs},{ys}->{present}", x, y)
    r = r.reshape(r.shape + (1,) * (len(out) - len(present)))
    order = present + "".join(c for c in out if c not in present)
    return np.broadcast_to(np.transpose(r, [order.index(c) for c in out]), shape).copy()


def _eager_einsum_grad(which):
    def run(g, x, y, equation):
        a, b, out = parse_einsum(equation)
        if which == "a":
            return _eager_einsum(g, out, y, b, a, np.shape(x))
        return _eager_einsum(x, a, g, out, b, np.shape(y))
    return run


def _eager_argextremum(fn):
    def run(x, axis, keep_dims, dtype):
        return np.asarray(fn(np.asarray(x), axis=axis, keepdims=keep_dims)).astype(dtype)
    return run


def _eager_cumsum(x, axis, exclusive, reverse):
    x = np.asarray(x)
    dtype = cumsum_rule(aval_of(x), axis, exclusive, reverse).dtype
    if axis is None:
        x, axis = x.reshape(-1), 0
    if reverse:
        x = np.flip(x, axis)
    out = np.cumsum(x, axis=axis, dtype=dtype)
    if exclusive:
        out = np.concatenate([np.zeros_like(np.take(out, [0], axis)), np.take(out, range(out.shape[axis] - 1),
                                                                               axis)], axis)
    return np.flip(out, axis) if reverse else out


def _eager_logsumexp(x, axis, keep_dims):
    x = np.asarray(x, dtype=float_rule(aval_of(np.asarray(x))).dtype)
    axes = normalize_axes(axis, x.ndim)
    m = np.max(x, axis=axes, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)
    out = np.log(np.sum(np.exp(x - m), axis=axes, keepdims=True)) + m
    return out if keep_dims else np.squeeze(out, axis=axes)


def _eager_extremum_share(x, z, axis, keep_dims):
    x = np.asarray(x)
    axes = normalize_axes(axis, x.ndim)
    zk = z if keep_dims else np.expand_dims(z, axes)
    hit = (x == zk).astype(float_rule(aval_of(x)).dtype)
    return hit / np.sum(hit, axis=axes, keepdims=True)


def _eager_scatter_add(g, indices, x, axis):
    x = np.asarray(x)
    pre, n, post = gather_view(aval_of(x), axis)
    idx = np.asarray(indices).reshape(-1)
    out = np.zeros((pre, n, post), np.asarray(g).dtype)
    np.add.at(out, (slice(None), np.where(idx < 0, idx + n, idx), slice(None)),
              np.asarray(g).reshape(pre, idx.size, post))
    return out.reshape(x.shape)


def _eager_slice_axis(x, start, stop, axis):
    x = np.asarray(x)
    a = one_axis(axis, x.ndim, "slice")
    s, e = slice_bounds(x.shape[a], start, stop)
    return x[(slice(None),) * a + (slice(s, e),)].copy()


def _eager_unslice_axis(g, x, start, stop, axis):
    x = np.asarray(x)
    a = one_axis(axis, x.ndim, "slice")
    s, e = slice_bounds(x.shape[a], start, stop)
    out = np.zeros(x.shape, np.asarray(g).dtype)
    out[(slice(None),) * a + (slice(s, e),)] = g
    return out


def _eager_untile(g, x, multiples):
    shape, reps = tile_layout(np.shape(x), multiples)
    split = [d for s, m in zip(shape, reps) for d in (m, s)]
    return np.asarray(g).reshape(split).sum(axis=tuple(range(0, len(split), 2))).reshape(np.shape(x))


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
# x // y is flat between its steps: zero derivative (as np.floor's), none where it jumps
floordiv = primitive("floordiv", 2, broadcast_rule, elementwise=True, differentiable=False, eager=np.floor_divide)
mod = primitive("mod", 2, int_mod_rule, elementwise=True, differentiable=False, eager=np.mod)
for _cmp in ("greater", "less", "greater_equal", "less_equal", "equal", "not_equal"):
    primitive(_cmp, 2, compare_rule, elementwise=True, differentiable=False)

matmul = primitive("matmul", 2, matmul_rule, attrs=("transpose_a", "transpose_b"), lower=lower_matmul)
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

maximum = primitive("maximum", 2, broadcast_rule, elementwise=True)
minimum = primitive("minimum", 2, broadcast_rule, elementwise=True)
abs_ = primitive("abs", 1, same_rule, elementwise=True)        # abs_/round_: the builtins stay usable here
sin = primitive("sin", 1, float_rule, elementwise=True)
cos = primitive("cos", 1, float_rule, elementwise=True)
tan = primitive("tan", 1, float_rule, elementwise=True)
erf = primitive("erf", 1, float_rule, elementwise=True)
log1p = primitive("log1p", 1, float_rule, elementwise=True, eager=np.log1p)     # NumPy's, as generated code
expm1 = primitive("expm1", 1, float_rule, elementwise=True, eager=np.expm1)     # calls them (codegen)
sign = primitive("sign", 1, same_rule, elementwise=True)
floor = primitive("floor", 1, float_rule, elementwise=True)
round_ = primitive("round", 1, same_rule, elementwise=True)
clip = primitive("clip", 1, clip_rule, attrs=("min_value", "max_value"), elementwise=True)
select = primitive("select", 3, select_rule, elementwise=True, lower=lower_select)
tile = primitive("tile", 1, tile_rule, attrs=("multiples",), lower=lower_tile,
                 eager=lambda x, multiples: np.tile(x, multiples))
untile = primitive("untile", 2, untile_rule, attrs=("multiples",), lower=lower_untile, eager=_eager_untile)
squeeze = primitive("squeeze", 1, squeeze_rule, attrs=("axis",), lower=lower_squeeze,
                    eager=lambda x, axis: np.reshape(x, squeeze_shape(np.shape(x), axis)))
reduce_max = primitive("reduce_max", 1, extremum_rule, attrs=("axis", "keep_dims"),
                       lower=lower_reduce_one_axis("max"), eager=_eager_reduce(np.max))
reduce_min = primitive("reduce_min", 1, extremum_rule, attrs=("axis", "keep_dims"),
                       lower=lower_reduce_one_axis("min"), eager=_eager_reduce(np.min))
extremum_share = primitive("extremum_share", 2, extremum_share_rule, attrs=("axis", "keep_dims"),
                           lower=lower_extremum_share, eager=_eager_extremum_share, differentiable=False)
argmax = primitive("argmax", 1, argextremum_rule, attrs=("axis", "keep_dims", "dtype"), lower=lower_argextremum("max"),
                   eager=_eager_argextremum(np.argmax), differentiable=False)
argmin = primitive("argmin", 1, argextremum_rule, attrs=("axis", "keep_dims", "dtype"), lower=lower_argextremum("min"),
                   eager=_eager_argextremum(np.argmin), differentiable=False)
cumsum = primitive("cumsum", 1, cumsum_rule, attrs=("axis", "exclusive", "reverse"), lower=lower_cumsum,
                   eager=_eager_cumsum)
logsumexp = primitive("logsumexp", 1, logsumexp_rule, attrs=("axis", "keep_dims"),
                      lower=lower_reduce_one_axis("logsumexp"), eager=_eager_logsumexp)
einsum2 = primitive("einsum2", 2, einsum2_rule, attrs=("equation",), lower=lower_einsum2,
                    eager=lambda x, y, equation: np.einsum("{},{}->{}".format(*parse_einsum(equation)), x, y))
einsum_grad_a = primitive("einsum_grad_a", 3, einsum_grad_rule("a"), attrs=("equation",),
                          lower=lower_einsum_grad("a"), eager=_eager_einsum_grad("a"), differentiable=False)
einsum_grad_b = primitive("einsum_grad_b", 3, einsum_grad_rule("b"), attrs=("equation",),
                          lower=lower_einsum_grad("b"), eager=_eager_einsum_grad("b"), differentiable=False)
gather = primitive("gather", 2, gather_rule, attrs=("axis",), lower=lower_gather,
                   eager=lambda params, indices, axis: np.take(params, indices, axis))
scatter_add_axis = primitive("scatter_add_axis", 3, scatter_add_rule, attrs=("axis",), lower=lower_scatter_add,
                             eager=_eager_scatter_add)
concat2 = primitive("concat2", 2, concat2_rule, attrs=("axis",), lower=lower_concat2)
slice_axis = primitive("slice_axis", 1, slice_axis_rule, attrs=("start", "stop", "axis"), lower=lower_slice_axis,
                       eager=_eager_slice_axis)
split_part = primitive("split_part", 1, split_part_rule, attrs=("part", "parts", "axis"), lower=lower_split_part,
                       eager=lambda x, part, parts, axis: np.split(np.asarray(x), parts, axis)[part].copy())
unslice_axis = primitive("unslice_axis", 2, unslice_axis_rule, attrs=("start", "stop", "axis"),
                         lower=lower_unslice_axis, eager=_eager_unslice_axis)

# Kernels that lowerings call but that are not primitives of their own.
HELPER_KERNELS = ("sum_all", "sum_axis", "sum_axis_keep", "fill", "const_like", "first", "select_scalar",
                  "max_all", "min_all", "argmax_all", "argmin_all", "logsumexp_all", "max_mid", "min_mid",
                  "argmax_mid", "argmin_mid", "logsumexp_mid", "cumsum_mid", "gather_mid", "scatter_add_mid",
                  "slice_mid", "unslice_mid", "bmm", "bmm_as", "matmul_nn", "matmul_tn", "matmul_nt", "matmul_tt")

# Convolution, pooling and the layers' reshapes register their rows here, so TABLE is complete.
from . import primitives_conv  # noqa: E402,F401
# Dropout, batch norm, layer norm and Parameter assignment.
from . import primitives_norm  # noqa: E402,F401
