"""CPU kernels: one small NumPy function per primitive, valid in Numba's nopython
mode. The `python` backend runs them as they are; the `cpu` backend njit's them.

Rules that keep float32 programs float32 under Numba (which, unlike NumPy 2, does
not treat Python scalars as weak): constants come from `const_like`, never bare
literals mixed with arrays.
"""
import math

import numpy as np
from numba import types
from numba.extending import overload

from .blas import gemm, xgemm


def const_like(x, c):
    """`c` as a scalar of x's dtype (x an array or a scalar)."""
    return np.asarray(x).dtype.type(c)


@overload(const_like)
def _const_like_numba(x, c):
    dtype = x.dtype if isinstance(x, types.Array) else x
    cls = np.dtype(str(dtype)).type

    def impl(x, c):
        return cls(c)
    return impl


# Allocation in kernels: these three rather than np.empty/np.zeros/np.empty_like,
# whose Numba implementations are compiled functions of their own (0.1-0.25 s of a
# first call each); inline_kernels lowers these at the call site.

def _empty(shape, like):
    """np.empty(shape, like.dtype)."""
    return np.empty(shape, like.dtype)


def _zeros(shape, like):
    """np.zeros(shape, like.dtype)."""
    return np.zeros(shape, like.dtype)


def _empty_like(x):
    return np.empty_like(x)


# -- elementwise -------------------------------------------------------------

def add(x, y):
    return x + y


def sub(x, y):
    return x - y


def mul(x, y):
    return x * y


def div(x, y):
    return x / y


def neg(x):
    return -x


def square(x):
    return x * x


def exp(x):
    return np.exp(x)


def log(x):
    return np.log(x)


def sqrt(x):
    return np.sqrt(x)


def pow(x, y):
    return x ** y


def relu(x):
    return np.maximum(x, const_like(x, 0))


def sigmoid(x):
    one = const_like(x, 1)
    return one / (one + np.exp(-x))


def tanh(x):
    return np.tanh(x)


# Below this |x|, tanh(x) = x(1 - x²/3 + ...) is x to float32 precision (x²/3 < 4e-9).
_TANH32_LINEAR = 1e-4


def _tanh32(x):
    """tanh of a float32 from the float64 exp: (1 - e)/(1 + e) with e = exp(-2|x|) has an
    error near 1e-16/|x|, far under float32's ulp above _TANH32_LINEAR. A third of the
    time of Numba's np.tanh, which calls libm's tanhf (27 ns per element here)."""
    y = np.float64(x)
    e = math.exp(-2.0 * abs(y))
    t = np.float32(math.copysign((1.0 - e) / (1.0 + e), y))
    return x if abs(x) < _TANH32_LINEAR else t


@overload(tanh)
def _tanh_numba(x):
    if isinstance(x, types.Float) and x.bitwidth == 32:
        return lambda x: _tanh32(x)
    if isinstance(x, types.Array) and isinstance(x.dtype, types.Float) and x.dtype.bitwidth == 32:
        def impl(x):
            flat = x.ravel()             # a view when x is contiguous, else a copy
            out = np.empty(flat.size, np.float32)
            for i in range(flat.size):
                out[i] = _tanh32(flat[i])
            return out.reshape(x.shape)
        return impl
    return lambda x: np.tanh(x)


def greater(x, y):
    return x > y


def less(x, y):
    return x < y


def greater_equal(x, y):
    return x >= y


def less_equal(x, y):
    return x <= y


def equal(x, y):
    return x == y


def not_equal(x, y):
    return x != y


def log_or_zero(x, z):
    """z * log(x), and 0 where x == 0 (MindSpore's Pow exponent gradient)."""
    return z * np.log(np.where(x == 0, const_like(x, 1), x))


# -- linear algebra ----------------------------------------------------------

def _row_max(x, i):
    # A loop, not x[i].max(): Numba's generic max costs about two seconds to compile.
    m = x[i, 0]
    for j in range(1, x.shape[1]):
        v = x[i, j]
        if v > m or v != v:
            m = v
    return m


# The lowering names the transposes (matmul_nn .. matmul_tt); all of them are one
# BLAS gemm with the transposes as runtime flags (blas.py), compiled once per
# operand type rather than np.dot once per layout combination.
def matmul_nn(x, y):
    return gemm(x, y, False, False)


def matmul_tn(x, y):
    return gemm(x, y, True, False)


def matmul_nt(x, y):
    return gemm(x, y, False, True)


def matmul_tt(x, y):
    return gemm(x, y, True, True)


def matmul(x, y, transpose_a, transpose_b):
    return gemm(x, y, transpose_a, transpose_b)


# -- reductions and shapes (multi-axis forms are chains of these) -------------

def sum_all(x):
    return np.sum(x)


def sum_axis(x, axis):
    return np.sum(x, axis=axis)


def sum_axis_keep(x, axis):
    # np.asarray: the sum of a 1-d array is a scalar, which expands to shape (1,)
    return np.expand_dims(np.asarray(np.sum(x, axis=axis)), axis)


def fill(shape, value):
    return np.full(shape, value)


def broadcast_to(x, shape):
    return np.broadcast_to(x, shape)


def reshape(x, shape):
    return np.ascontiguousarray(x).reshape(shape)


def transpose(x, perm):
    return np.transpose(x, perm)


def expand_dims(x, axis):
    return np.expand_dims(x, axis)


def cast(x, dtype):
    return x.astype(dtype)


def zeros_like(x):
    return np.zeros_like(x)


def ones_like(x):
    return np.ones_like(x)


# -- softmax family (last axis, any leading shape) ----------------------------

def _rows(x):
    return np.ascontiguousarray(x).reshape((-1, x.shape[-1]))


def softmax(x):
    x2 = _rows(x)
    out = _empty_like(x2)
    for i in range(x2.shape[0]):
        m = _row_max(x2, i)
        s = 0.0
        for j in range(x2.shape[1]):
            e = np.exp(x2[i, j] - m)
            out[i, j] = e
            s += e
        for j in range(x2.shape[1]):
            out[i, j] = out[i, j] / s
    return out.reshape(x.shape)


def log_softmax(x):
    x2 = _rows(x)
    out = _empty_like(x2)
    for i in range(x2.shape[0]):
        m = _row_max(x2, i)
        s = 0.0
        for j in range(x2.shape[1]):
            s += np.exp(x2[i, j] - m)
        lse = m + np.log(s)
        for j in range(x2.shape[1]):
            out[i, j] = x2[i, j] - lse
    return out.reshape(x.shape)


def softmax_cross_entropy(logits, labels):
    """MindSpore's SoftmaxCrossEntropyWithLogits kernel: (loss per row, softmax - labels)."""
    n, c = logits.shape
    loss = _empty(n, logits)
    backprop = _empty_like(logits)
    for i in range(n):
        m = _row_max(logits, i)
        s = 0.0
        for j in range(c):
            s += np.exp(logits[i, j] - m)
        lse = m + np.log(s)
        acc = 0.0
        for j in range(c):
            logp = logits[i, j] - lse
            acc -= labels[i, j] * logp
            backprop[i, j] = np.exp(logp) - labels[i, j]
        loss[i] = acc
    return loss, backprop


def sparse_softmax_cross_entropy(logits, labels):
    """Mean loss over the batch and its gradient (softmax - onehot) / N."""
    n, c = logits.shape
    grad = _empty_like(logits)
    total = 0.0
    for i in range(n):
        m = _row_max(logits, i)
        s = 0.0
        for j in range(c):
            s += np.exp(logits[i, j] - m)
        lse = m + np.log(s)
        label = labels[i]
        for j in range(c):
            p = np.exp(logits[i, j] - lse)
            grad[i, j] = (p - (1.0 if j == label else 0.0)) / n
        total += lse - logits[i, label]
    return const_like(logits, total / n), grad


def one_hot(indices, depth, on_value, off_value, dtype):
    flat = np.ascontiguousarray(indices).reshape(-1)
    out = np.full((flat.size, depth), off_value).astype(dtype)
    for i in range(flat.size):
        k = flat[i]
        if 0 <= k < depth:
            out[i, k] = on_value
    return out.reshape(indices.shape + (depth,))


# -- more elementwise ----------------------------------------------------------
# `abs` and `round` shadow the builtins in this module on purpose: a kernel is
# named after its primitive. Nothing here calls the builtins.

def maximum(x, y):
    return np.maximum(x, y)


def minimum(x, y):
    return np.minimum(x, y)


def abs(x):
    return np.abs(x)


def sin(x):
    return np.sin(x)


def cos(x):
    return np.cos(x)


def tan(x):
    return np.tan(x)


def sign(x):
    return np.sign(x)


def floor(x):
    return np.floor(x)


def round(x):
    """Half to even, like np.round; np.rint keeps float32 scalars float32 under Numba."""
    return np.rint(x)


def clip(x, min_value, max_value):
    return np.minimum(np.maximum(x, const_like(x, min_value)), const_like(x, max_value))


def select(cond, x, y):
    return np.where(cond, x, y)


def select_scalar(cond, x, y):
    """`select` when every operand is a scalar (np.where would give a 0-d array)."""
    return x if cond else y


def erf(x):
    """The error function, elementwise. NumPy has none: this loops over math.erf here,
    and Numba compiles the typed loop in `_erf_numba`."""
    arr = np.asarray(x)
    dtype = arr.dtype if np.issubdtype(arr.dtype, np.floating) else np.dtype(np.float64)
    if arr.ndim == 0:
        return dtype.type(math.erf(arr))
    out = np.empty(arr.shape, dtype)
    for idx in np.ndindex(arr.shape):
        out[idx] = math.erf(arr[idx])
    return out


@overload(erf)
def _erf_numba(x):
    if isinstance(x, types.Array):
        cls = np.dtype(str(x.dtype)).type if isinstance(x.dtype, types.Float) else np.float64

        def impl(x):
            flat = np.ascontiguousarray(x).ravel()
            out = np.empty(flat.size, cls)
            for i in range(flat.size):
                out[i] = math.erf(flat[i])
            return out.reshape(x.shape)
        return impl
    if isinstance(x, (types.Float, types.Integer, types.Boolean)):
        return lambda x: math.erf(x)


# -- reductions along one axis, on arrays seen as (pre, n, post) ------------------
# A lowering reshapes the operand around the reduced axis (shapes are static) and
# reshapes the (pre, post) result back; multi-axis forms chain these.

def first(x):
    """The only element of a one-element array, as a scalar."""
    return x.ravel()[0]


def max_all(x):
    return np.max(x)


def min_all(x):
    return np.min(x)


def argmax_all(x):
    return np.argmax(x)


def argmin_all(x):
    return np.argmin(x)


def max_mid(x):
    """Maximum over axis 1 of a (pre, n, post) array, n >= 1; NaN wins, as in np.max."""
    pre, n, post = x.shape
    out = _empty((pre, post), x)
    for i in range(pre):
        for k in range(post):
            out[i, k] = x[i, 0, k]
        for j in range(1, n):
            for k in range(post):
                v = x[i, j, k]
                if v > out[i, k] or v != v:
                    out[i, k] = v
    return out


def min_mid(x):
    pre, n, post = x.shape
    out = _empty((pre, post), x)
    for i in range(pre):
        for k in range(post):
            out[i, k] = x[i, 0, k]
        for j in range(1, n):
            for k in range(post):
                v = x[i, j, k]
                if v < out[i, k] or v != v:
                    out[i, k] = v
    return out


def argmax_mid(x):
    """Index of the first maximum (or first NaN) over axis 1 of a (pre, n, post) array."""
    pre, n, post = x.shape
    out = np.zeros((pre, post), np.int64)
    for i in range(pre):
        for k in range(post):
            best = x[i, 0, k]
            if best != best:
                continue
            for j in range(1, n):
                v = x[i, j, k]
                if v != v:
                    out[i, k] = j
                    break
                if v > best:
                    best = v
                    out[i, k] = j
    return out


def argmin_mid(x):
    pre, n, post = x.shape
    out = np.zeros((pre, post), np.int64)
    for i in range(pre):
        for k in range(post):
            best = x[i, 0, k]
            if best != best:
                continue
            for j in range(1, n):
                v = x[i, j, k]
                if v != v:
                    out[i, k] = j
                    break
                if v < best:
                    best = v
                    out[i, k] = j
    return out


def logsumexp_mid(x):
    """log(sum(exp(x))) over axis 1 of a (pre, n, post) float array, shifted by the maximum."""
    pre, n, post = x.shape
    m = max_mid(x)
    out = _empty((pre, post), x)
    for i in range(pre):
        for k in range(post):
            mk = m[i, k]
            if not np.isfinite(mk):        # all -inf, or an inf or NaN present
                out[i, k] = mk
                continue
            s = 0.0
            for j in range(n):
                s += np.exp(x[i, j, k] - mk)
            out[i, k] = mk + np.log(s)
    return out


def logsumexp_all(x):
    return logsumexp_mid(np.ascontiguousarray(x).reshape((1, x.size, 1)))[0, 0]


def cumsum_mid(x, exclusive, reverse):
    """Cumulative sum along axis 1 of a (pre, n, post) array (MindSpore CumSum's flags)."""
    pre, n, post = x.shape
    out = _empty((pre, n, post), x)
    acc = _zeros(post, x)
    for i in range(pre):
        acc[:] = 0
        for t in range(n):
            j = n - 1 - t if reverse else t
            for k in range(post):
                if exclusive:
                    out[i, j, k] = acc[k]
                    acc[k] += x[i, j, k]
                else:
                    acc[k] += x[i, j, k]
                    out[i, j, k] = acc[k]
    return out


# -- gather, slices, concatenation, contraction -----------------------------------

def gather_mid(x, indices):
    """x[:, indices, :] of a (pre, n, post) array; negative indices count from the end."""
    pre, n, post = x.shape
    out = _empty((pre, indices.size, post), x)
    for t in range(indices.size):
        j = indices[t]
        if j < 0:
            j += n
        if j < 0 or j >= n:
            raise IndexError("gather: an index is out of range")
        for i in range(pre):
            for k in range(post):
                out[i, t, k] = x[i, j, k]
    return out


def scatter_add_mid(g, indices, n):
    """The adjoint of gather_mid: zeros (pre, n, post) with g[:, t, :] added at indices[t]."""
    pre, m, post = g.shape
    out = _zeros((pre, n, post), g)
    for t in range(m):
        j = indices[t]
        if j < 0:
            j += n
        for i in range(pre):
            for k in range(post):
                out[i, j, k] += g[i, t, k]
    return out


def slice_mid(x, start, stop):
    return x[:, start:stop, :].copy()


def unslice_mid(g, n, start):
    """The adjoint of slice_mid: zeros (pre, n, post) holding g at [start, start + len)."""
    out = _zeros((g.shape[0], n, g.shape[2]), g)
    out[:, start:start + g.shape[1], :] = g
    return out


def concat2(x, y, axis):
    return np.concatenate((x, y), axis=axis)


def bmm(a, b):
    """Batched matrix product of (B, M, K) and (B, K, N) float arrays: einsum's core."""
    nb, m, k = a.shape
    n = b.shape[2]
    out = _empty((nb, m, n), a)
    if m == 1 and n == 1:
        for i in range(nb):
            s = 0.0
            for j in range(k):
                s += a[i, 0, j] * b[i, j, 0]
            out[i, 0, 0] = s
        return out
    for i in range(nb):
        gemm_into(a[i], b[i], out[i])
    return out


def bmm_as(a, b, order):
    """np.transpose(bmm(a, b), order) as a new C-contiguous array: each product written
    straight into the layout an einsum's output wants, where transposing bmm's result
    would copy it. a and b may be transposed views: BLAS reads them in place."""
    nb, m, _ = a.shape
    full = (nb, m, b.shape[2])
    out = _empty((full[order[0]], full[order[1]], full[order[2]]), a)
    inverse = [0, 0, 0]
    for i in range(3):
        inverse[order[i]] = i
    view = np.transpose(out, (inverse[0], inverse[1], inverse[2]))
    for i in range(nb):
        gemm_into(a[i], b[i], view[i])
    return out


def gemm_into(x, y, out):
    """out[...] = x @ y for 2-d float arrays; under Numba one BLAS call on the arrays'
    memory whatever their strides, where BLAS can read them (see _col_major)."""
    out[...] = np.dot(x, y)


def _col_major(a):
    """How BLAS reads the memory of the 2-d array `a` as a column-major matrix:
    (False, ld) for a itself, (True, ld) for aᵀ, (False, -1) where no leading
    dimension describes it (a stride other than one element on both axes)."""
    r, c = a.shape
    s0, s1 = a.strides
    size = a.itemsize
    if s0 % size or s1 % size:
        return False, -1
    s0, s1 = s0 // size, s1 // size
    if (s0 == 1 or r <= 1) and (c <= 1 or s1 >= max(1, r)):
        return False, max(1, r) if c <= 1 else s1
    if (s1 == 1 or c <= 1) and (r <= 1 or s0 >= max(1, c)):
        return True, max(1, c) if r <= 1 else s0
    return False, -1


@overload(gemm_into)
def _gemm_into_numba(x, y, out):
    if not all(isinstance(t, types.Array) and t.ndim == 2 and t.dtype == x.dtype for t in (x, y, out)):
        return None

    def impl(x, y, out):
        m, k = x.shape
        n = y.shape[1]
        if y.shape[0] != k or out.shape[0] != m or out.shape[1] != n:
            raise ValueError("matmul: shapes do not match")
        if m == 0 or n == 0:
            return
        if k == 0:
            out[:, :] = 0
            return
        tx, ldx = _col_major(x)
        xs = x if ldx > 0 else np.ascontiguousarray(x)
        if ldx < 0:
            tx, ldx = True, k
        ty, ldy = _col_major(y)
        ys = y if ldy > 0 else np.ascontiguousarray(y)
        if ldy < 0:
            ty, ldy = True, n
        to, ldo = _col_major(out)
        target = out if ldo > 0 else np.empty((m, n), out.dtype)
        if ldo < 0:
            to, ldo = True, n
        if max(m, n, k, ldx, ldy, ldo) > 2 ** 31 - 1:
            raise OverflowError("matmul: too large for BLAS")
        if to:          # the memory holds the result's transpose: (x y)ᵀ = yᵀ xᵀ
            xgemm(not ty, not tx, n, m, k, ys, ldy, xs, ldx, target, ldo)
        else:
            xgemm(tx, ty, m, n, k, xs, ldx, ys, ldy, target, ldo)
        if target is not out:
            out[:, :] = target
    return impl


_OVERLOADED = (const_like, erf, _erf_numba, tanh, _tanh_numba, gemm_into, _gemm_into_numba)   # Numba gets these through @overload


def _make_jitable():
    """Let Numba compile calls to every kernel from generated code, while each stays
    a plain Python function for the `python` backend and eager calls. The kernels in
    inline_kernels.KERNELS get Numba code lowered at the call site instead."""
    import inspect
    from numba.extending import register_jitable
    from . import inline_kernels
    inline = inline_kernels.register(globals())
    for name, fn in list(globals().items()):
        if inspect.isfunction(fn) and fn.__module__ == __name__ and fn not in _OVERLOADED \
                and fn not in inline and not name.startswith("_make") and not name.startswith("_const"):
            register_jitable(fn)


_make_jitable()
