"""Primitives of element-level code: indexing, in-place writes into arrays created in
construct, array allocation and boolean logic. Rows of the same primitive table
(`primitives.TABLE`); their lowerings emit plain indexing syntax (`x[i, k]`)."""
import gast
import numpy as np

from . import nodes as N
from . import primitives as P
from .primitives import AVal, RuleError, primitive, shape_of, dtype_of

UNKNOWN = None   # a dimension whose size depends on runtime values


class DynInt:
    """Typer's stand-in for a runtime integer inside an index."""

    def __repr__(self):
        return "<int>"


DYN = DynInt()


def _dim(v):
    return v if isinstance(v, int) else UNKNOWN


def index_rule(x, index):
    """Shape of x[index]: ints drop an axis, slices keep it (size known when static)."""
    shape = list(shape_of(x))
    if len(index) > len(shape):
        raise RuleError(f"too many indices ({len(index)}) for a {len(shape)}-d array")
    out = []
    for axis, part in enumerate(index):
        if isinstance(part, slice):
            n = shape[axis]
            bounds = (part.start, part.stop, part.step)
            if n is not UNKNOWN and all(b is None or isinstance(b, int) for b in bounds):
                out.append(len(range(*slice(*bounds).indices(n))))
            else:
                out.append(UNKNOWN)
        elif isinstance(part, AVal) and part.ndim == 1 and np.issubdtype(part.dtype, np.integer):
            out.append(part.shape[0])       # an int array picks entries along this axis
        elif not (part is DYN or isinstance(part, (int, np.integer))):
            raise RuleError(f"an index must be an int, a slice or an int array, got {part!r}")
    out += shape[len(index):]
    return AVal(dtype_of(x), tuple(out))


def lower_getitem(args, attr_nodes, avals, attrs):
    return N.subscript(args[0], _index_node(attr_nodes[0]))


def _index_node(node):
    if isinstance(node, gast.Tuple) and len(node.elts) == 1:
        return node.elts[0]
    return node


def setitem_rule(x, value, index):
    index_rule(x, index)
    return x


def fill_shape(shape):
    return tuple(_dim(s) for s in (shape if isinstance(shape, tuple) else (shape,)))


def alloc_rule(shape, dtype):
    return AVal(np.dtype(dtype), fill_shape(shape))


def full_rule(shape, value, dtype):
    return AVal(np.dtype(dtype), fill_shape(shape))


def logical_rule(*args):
    return AVal(np.dtype(np.bool_), P.broadcast_rule(*args).shape if args else ())


def scalar_cast_rule(x, dtype):
    if shape_of(x) not in ((), (1,)):
        raise RuleError(f"only a one-element value converts to a Python number, got shape {list(shape_of(x))}")
    return AVal(np.dtype(dtype), ())


getitem = primitive("getitem", 1, index_rule, attrs=("index",), lower=lower_getitem,
                    eager=lambda x, index: np.asarray(x)[index])
setitem = primitive("setitem", 2, setitem_rule, attrs=("index",), eager=None)
zeros = primitive("zeros", 0, alloc_rule, attrs=("shape", "dtype"), differentiable=False)
ones = primitive("ones", 0, alloc_rule, attrs=("shape", "dtype"), differentiable=False)
empty = primitive("empty", 0, alloc_rule, attrs=("shape", "dtype"), differentiable=False)
full = primitive("full", 0, full_rule, attrs=("shape", "value", "dtype"), differentiable=False)
copy = primitive("copy", 1, P.same_rule,
                 lower=lambda args, an, avals, at: args[0] if shape_of(avals[0]) == () else N.call("copy", args[0]))
logical_and = primitive("logical_and", 2, logical_rule, differentiable=False)
logical_or = primitive("logical_or", 2, logical_rule, differentiable=False)
logical_not = primitive("logical_not", 1, logical_rule, differentiable=False)
to_scalar = primitive("to_scalar", 1, scalar_cast_rule, attrs=("dtype",))
stop_gradient = primitive("stop_gradient", 1, P.same_rule, differentiable=False)
outer = primitive("outer", 2, lambda x, y: AVal(P.result_dtype(x, y), shape_of(x) + shape_of(y)))

# Allocation and copying: arrays these create may be written in place.
FRESH = {"zeros", "ones", "empty", "full", "copy", "zeros_like", "ones_like"}


# -- kernels (plain NumPy, callable from Numba through register_jitable) --------

def _zeros(shape, dtype):
    return np.zeros(shape, dtype)


def _ones(shape, dtype):
    return np.ones(shape, dtype)


def _empty(shape, dtype):
    return np.empty(shape, dtype)


def _full(shape, value, dtype):
    return np.full(shape, value, dtype)


def _copy(x):
    return x.copy()


def _logical_and(x, y):
    return np.logical_and(x, y)


def _logical_or(x, y):
    return np.logical_or(x, y)


def _logical_not(x):
    return np.logical_not(x)


def _to_scalar(x, dtype):
    return dtype(x)


def _stop_gradient(x):
    return x


def _outer(x, y):
    return np.outer(x, y)


def _setitem(x, value, index):
    x[index] = value


def _register():
    from numba.extending import register_jitable
    for prim in (zeros, ones, empty, full, copy, logical_and, logical_or, logical_not, to_scalar,
                 stop_gradient, outer):
        kernel = globals()[f"_{prim.name}"]
        kernel.__name__ = prim.name
        prim.kernel = register_jitable(kernel)
        globals()[prim.name + "_kernel"] = prim.kernel


_register()
setitem.eager = _setitem
KERNELS = {p.name: p.kernel for p in (zeros, ones, empty, full, copy, logical_and, logical_or, logical_not,
                                      to_scalar, stop_gradient, outer)}


# -- tapes of scalars: growable arrays (typed Lists hold arrays) ----------------------

def tape_new(dtype):
    return np.empty(64, dtype)


def tape_push(buf, n, value):
    """Append `value` at position n, doubling the buffer when full."""
    if n == buf.shape[0]:
        bigger = np.empty(2 * n, buf.dtype)
        bigger[:n] = buf
        buf = bigger
    buf[n] = value
    return buf, n + 1


def _register_tapes():
    from numba.extending import register_jitable
    for fn in (tape_new, tape_push):
        KERNELS[fn.__name__] = register_jitable(fn)


_register_tapes()


def tape_reserve(buf, n, k):
    """Room for k more values after position n (called once per loop entry)."""
    if n + k > buf.shape[0]:
        bigger = np.empty(max(2 * buf.shape[0], n + k), buf.dtype)
        bigger[:n] = buf[:n]
        return bigger
    return buf


def trip_count(start, stop, step):
    if step > 0:
        return max(0, (stop - start + step - 1) // step)
    return max(0, (start - stop - step - 1) // -step)


def _register_loops():
    from numba.extending import register_jitable
    for fn in (tape_reserve, trip_count):
        KERNELS[fn.__name__] = register_jitable(fn)


_register_loops()
