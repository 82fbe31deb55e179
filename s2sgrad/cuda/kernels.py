"""CUDA kernels and the host functions that launch them, one per kernel name of the
generated code that is not elementwise (elementwise chains become fused kernels,
`fusion.py`). Each host function takes and returns C-contiguous device arrays (0-d
arrays for scalars) or host numbers, with the same semantics as its CPU kernel in
`s2sgrad/kernels.py`: this is the `cuda` backend's namespace.

Kernels work on arrays seen as (pre, n, post) around one axis, as the lowerings in
`primitives.py` already arrange; 1-d kernels use grid-stride loops, matmul uses
shared-memory tiles with transposes done by indexing."""
import functools
import math

import numpy as np
from numba import cuda, from_dtype

from . import device as D
from .device import blocks_for, empty, flat, view

FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


# -- index helpers (device functions) ------------------------------------------------

@cuda.jit(device=True)
def strided_offset(i, shape, strides):
    """Offset of the i-th element (C order over `shape`) in memory with element `strides`."""
    rem = i
    off = 0
    for d in range(len(shape) - 1, -1, -1):
        k = rem % shape[d]
        rem = rem // shape[d]
        off += k * strides[d]
    return off


def c_strides(shape):
    """Element strides of a C-contiguous array of `shape`."""
    out, acc = [], 1
    for s in reversed(shape):
        out.append(acc)
        acc *= s
    return tuple(reversed(out))


def broadcast_strides(shape, target):
    """Element strides reading an array of `shape` broadcast to `target` (0 on broadcast axes)."""
    shape = (1,) * (len(target) - len(shape)) + tuple(shape)
    return tuple(0 if s == 1 else st for s, st in zip(shape, c_strides(shape)))


def _padded(shape):
    return tuple(int(s) for s in shape) or (1,)


# -- copies, fills, shapes -----------------------------------------------------------

@cuda.jit
def _copy_strided(n, shape, src, strides, dst):
    start, step = cuda.grid(1), cuda.gridsize(1)
    for i in range(start, n, step):
        dst[i] = src[strided_offset(i, shape, strides)]


@cuda.jit
def _fill_value(dst, value):
    start, step = cuda.grid(1), cuda.gridsize(1)
    for i in range(start, dst.shape[0], step):
        dst[i] = value


def gather_strided(src, out_shape, strides, dtype=None):
    """A new array of `out_shape` whose element i is src.flat[offset(i)]: transposes,
    broadcasts and fills are all this one kernel."""
    out = empty(out_shape, dtype or src.dtype)
    n = out.size
    if n:
        shape = _padded(out_shape)
        strides = tuple(int(s) for s in strides) or (0,)
        _copy_strided[blocks_for(n), D.THREADS](n, shape, flat(src), strides, flat(out))
    return out


# -- basic slicing: x[a:b, i, ::s] reads and d[a:b, ...] += g accumulations --------------

@cuda.jit
def _gather_slice(n, shape, offset, strides, src, dst):
    start, step = cuda.grid(1), cuda.gridsize(1)
    for i in range(start, n, step):       # strides may be negative (x[::-1]): offsets are absolute
        dst[i] = src[offset + strided_offset(i, shape, strides)]


@cuda.jit
def _add_slice(n, shape, offset, strides, dst, src):
    start, step = cuda.grid(1), cuda.gridsize(1)
    for i in range(start, n, step):       # basic slicing reaches each position of dst once
        dst[offset + strided_offset(i, shape, strides)] += src[i]


def basic_index(shape, index):
    """(offset, shape, element strides) of x[index] within a C-contiguous x of `shape`,
    for an index of slices and integers (NumPy's basic indexing)."""
    index = index if isinstance(index, tuple) else (index,)
    if len(index) > len(shape):
        raise IndexError(f"too many indices ({len(index)}) for an array of {len(shape)} dimensions")
    index = index + (slice(None),) * (len(shape) - len(index))
    offset, out_shape, out_strides = 0, [], []
    for part, dim, stride in zip(index, shape, c_strides(shape)):
        if isinstance(part, slice):
            start, stop, step = part.indices(dim)
            out_shape.append(len(range(start, stop, step)))
            out_strides.append(step * stride)
            offset += start * stride if out_shape[-1] else 0
        else:
            k = int(part)
            if not -dim <= k < dim:
                raise IndexError(f"index {k} is out of bounds for an axis of size {dim}")
            offset += (k % dim) * stride
    return offset, tuple(out_shape), tuple(out_strides)


def slice_get(x, index):
    """x[index] (slices and integers) as a new contiguous array."""
    offset, shape, strides = basic_index(x.shape, index)
    if not shape:
        raise IndexError("slice_get reads arrays; an index of integers only is element-level")
    out = empty(shape, x.dtype)
    n = out.size
    if n:
        _gather_slice[blocks_for(n), D.THREADS](n, shape, offset, strides, flat(x), flat(out))
    return out


def slice_add(d, index, g):
    """d[index] += g, in place (the adjoint of a slice read)."""
    offset, shape, strides = basic_index(d.shape, index)
    n = math.prod(shape)
    if n:
        if tuple(g.shape) != shape:
            g = gather_strided(g, shape, broadcast_strides(g.shape, shape))
        _add_slice[blocks_for(n), D.THREADS](n, shape, offset, strides, flat(d), flat(g))
    return d


def fill_value(shape, value, dtype):
    out = empty(shape, dtype)
    if out.size:
        _fill_value[blocks_for(out.size), D.THREADS](flat(out), np.dtype(dtype).type(value))
    return out


def fill(shape, value):
    """np.full(shape, value): value a host number or a device 0-d array."""
    shape = tuple(int(s) for s in shape) if isinstance(shape, tuple) else (int(shape),)
    if D.is_device(value):
        return gather_strided(value, shape, (0,) * len(shape))
    return fill_value(shape, value, np.asarray(value).dtype)


def zeros_like(x):
    return fill_value(x.shape, 0, x.dtype) if D.is_device(x) else np.zeros_like(x)


def ones_like(x):
    return fill_value(x.shape, 1, x.dtype) if D.is_device(x) else np.ones_like(x)


def zeros(shape, dtype):
    return fill_value(_shape_arg(shape), 0, dtype)


def ones(shape, dtype):
    return fill_value(_shape_arg(shape), 1, dtype)


def empty_(shape, dtype):
    return empty(_shape_arg(shape), dtype)


def full(shape, value, dtype):
    return fill_value(_shape_arg(shape), value, dtype)


def _shape_arg(shape):
    return tuple(int(s) for s in shape) if isinstance(shape, tuple) else (int(shape),)


def broadcast_to(x, shape):
    shape = tuple(int(s) for s in shape)
    if not D.is_device(x):
        return fill(shape, x)
    return gather_strided(x, shape, broadcast_strides(x.shape, shape))


def reshape(x, shape):
    shape = tuple(int(s) for s in shape)
    if -1 in shape:
        known = int(np.prod([s for s in shape if s != -1]))
        shape = tuple(x.size // known if s == -1 else s for s in shape)
    return view(x, shape)


def expand_dims(x, axis):
    shape = list(x.shape)
    shape.insert(axis % (len(shape) + 1), 1)
    return view(x, shape)


def transpose(x, perm):
    perm = tuple(int(p) for p in perm)
    if perm == tuple(range(x.ndim)):
        return x
    st = c_strides(x.shape)
    return gather_strided(x, tuple(x.shape[p] for p in perm), tuple(st[p] for p in perm))


def first(x):
    """The only element of a one-element array, as a 0-d device array."""
    return gather_strided(x, (), ())


def copy(x):
    return gather_strided(x, x.shape, c_strides(x.shape)) if D.is_device(x) else np.copy(x)


def stop_gradient(x):
    return x


def to_scalar(x, dtype):
    """float(x) / int(x): a read of one number back to the host (a counted transfer)."""
    return dtype(D.to_host(x).reshape(-1)[0]) if D.is_device(x) else dtype(x)


def trip_count(start, stop, step):
    if step > 0:
        return max(0, (stop - start + step - 1) // step)
    return max(0, (start - stop - step - 1) // -step)


# -- reductions on (pre, n, post) views -------------------------------------------

@cuda.jit
def _sum_thread(x, out):
    """One thread per output element; consecutive threads read consecutive addresses."""
    pre, n, post = x.shape
    start, step = cuda.grid(1), cuda.gridsize(1)
    for t in range(start, pre * post, step):
        p = t // post
        q = t % post
        acc = 0.0
        for j in range(n):
            acc += x[p, j, q]
        out[p, q] = acc


@cuda.jit
def _sum_block(x, out):
    """One block per output element, its threads striding over the reduced axis, then a
    tree reduction in shared memory."""
    buf = cuda.shared.array(_REDUCE_SHARED, np.float64)
    pre, n, post = x.shape
    tid = cuda.threadIdx.x
    for t in range(cuda.blockIdx.x, pre * post, cuda.gridDim.x):
        p = t // post
        q = t % post
        acc = 0.0
        for j in range(tid, n, cuda.blockDim.x):
            acc += x[p, j, q]
        buf[tid] = acc
        cuda.syncthreads()
        width = cuda.blockDim.x // 2
        while width > 0:
            if tid < width:
                buf[tid] += buf[tid + width]
            cuda.syncthreads()
            width //= 2
        if tid == 0:
            out[p, q] = buf[0]
        cuda.syncthreads()


_REDUCE_SHARED = D.REDUCE_THREADS


def _mid_view(x, axis):
    shape = tuple(x.shape)
    pre = int(np.prod(shape[:axis]))
    post = int(np.prod(shape[axis + 1:]))
    return view(x, (pre, shape[axis], post)), pre, post


def _reduce_mid(x3, out_dtype):
    """Sum over axis 1 of a (pre, n, post) device array -> (pre, post)."""
    pre, n, post = x3.shape
    out = empty((pre, post), out_dtype)
    if pre * post == 0:
        return out
    if n == 0:
        return fill_value((pre, post), 0, out_dtype)
    if pre * post < D.SMALL_OUTPUT:
        _sum_block[min(pre * post, D.MAX_BLOCKS), D.REDUCE_THREADS](x3, out)
    else:
        _sum_thread[blocks_for(pre * post), D.THREADS](x3, out)
    return out


def _sum_dtype(x):
    return np.dtype(np.int64) if x.dtype == np.bool_ else x.dtype


def sum_all(x):
    if not D.is_device(x):
        return np.sum(x)
    return view(_reduce_mid(view(x, (1, x.size, 1)), _sum_dtype(x)), ())


def sum_axis(x, axis):
    x3, pre, post = _mid_view(x, axis)
    out_shape = tuple(x.shape[:axis]) + tuple(x.shape[axis + 1:])
    return view(_reduce_mid(x3, _sum_dtype(x)), out_shape)


def sum_axis_keep(x, axis):
    x3, pre, post = _mid_view(x, axis)
    out_shape = tuple(x.shape[:axis]) + (1,) + tuple(x.shape[axis + 1:])
    return view(_reduce_mid(x3, _sum_dtype(x)), out_shape)


# max / min / argmax / argmin / logsumexp over axis 1, one thread per output element
MAX, MIN, ARGMAX, ARGMIN, LOGSUMEXP = range(5)


@cuda.jit
def _extreme_thread(x, out, kind):
    pre, n, post = x.shape
    start, step = cuda.grid(1), cuda.gridsize(1)
    for t in range(start, pre * post, step):
        p = t // post
        q = t % post
        best = x[p, 0, q]
        at = 0
        if best == best:                    # NaN wins (first NaN), as in NumPy
            for j in range(1, n):
                v = x[p, j, q]
                if v != v:
                    best = v
                    at = j
                    break
                if (kind == 0 or kind == 2 or kind == 4) and v > best:
                    best = v
                    at = j
                elif (kind == 1 or kind == 3) and v < best:
                    best = v
                    at = j
        if kind == 2 or kind == 3:
            out[p, q] = at
        elif kind == 4:
            if best != best or best == math.inf or best == -math.inf:
                out[p, q] = best
            else:
                s = 0.0
                for j in range(n):
                    s += math.exp(x[p, j, q] - best)
                out[p, q] = best + math.log(s)
        else:
            out[p, q] = best


def _extreme(x, kind, out_dtype):
    pre, n, post = x.shape
    out = empty((pre, post), out_dtype)
    if pre * post:
        _extreme_thread[blocks_for(pre * post), D.THREADS](x, out, kind)
    return out


def max_mid(x):
    return _extreme(x, MAX, x.dtype)


def min_mid(x):
    return _extreme(x, MIN, x.dtype)


def argmax_mid(x):
    return _extreme(x, ARGMAX, np.int64)


def argmin_mid(x):
    return _extreme(x, ARGMIN, np.int64)


def logsumexp_mid(x):
    return _extreme(x, LOGSUMEXP, x.dtype)


def _all(kind, dtype_of):
    def run(x):
        return view(_extreme(view(x, (1, x.size, 1)), kind, dtype_of(x)), ())
    return run


max_all = _all(MAX, lambda x: x.dtype)
min_all = _all(MIN, lambda x: x.dtype)
argmax_all = _all(ARGMAX, lambda x: np.int64)
argmin_all = _all(ARGMIN, lambda x: np.int64)
logsumexp_all = _all(LOGSUMEXP, lambda x: x.dtype)


@cuda.jit
def _cumsum_thread(x, out, exclusive, reverse):
    pre, n, post = x.shape
    start, step = cuda.grid(1), cuda.gridsize(1)
    for t in range(start, pre * post, step):
        p = t // post
        q = t % post
        acc = x[p, 0, q] - x[p, 0, q]
        for s in range(n):
            j = n - 1 - s if reverse else s
            if exclusive:
                out[p, j, q] = acc
                acc += x[p, j, q]
            else:
                acc += x[p, j, q]
                out[p, j, q] = acc


def cumsum_mid(x, exclusive, reverse):
    pre, n, post = x.shape
    out = empty(x.shape, x.dtype)
    if pre * post and n:
        _cumsum_thread[blocks_for(pre * post), D.THREADS](x, out, bool(exclusive), bool(reverse))
    return out


# -- matrix products -----------------------------------------------------------------

@functools.lru_cache(maxsize=None)
def _matmul_kernel(dtype):
    """C = op(A) @ op(B) in TILE x TILE shared-memory tiles; op transposes by indexing:
    a transposed operand is read along its rows (coalesced) and stored transposed."""
    nb = from_dtype(np.dtype(dtype))
    tile = D.TILE

    @cuda.jit
    def kernel(a, b, c, m, n, k, ta, tb):
        sa = cuda.shared.array((tile, tile), nb)
        sb = cuda.shared.array((tile, tile), nb)
        tx = cuda.threadIdx.x
        ty = cuda.threadIdx.y
        row0 = cuda.blockIdx.y * tile
        col0 = cuda.blockIdx.x * tile
        acc = nb(0)
        for k0 in range(0, k, tile):
            if ta:                                  # sa[r, c] = A[k0 + c, row0 + r]
                kk, rr = k0 + ty, row0 + tx
                sa[tx, ty] = a[kk, rr] if kk < k and rr < m else nb(0)
            else:
                rr, kk = row0 + ty, k0 + tx
                sa[ty, tx] = a[rr, kk] if rr < m and kk < k else nb(0)
            if tb:                                  # sb[r, c] = B[col0 + c, k0 + r]
                cc, kk = col0 + ty, k0 + tx
                sb[tx, ty] = b[cc, kk] if cc < n and kk < k else nb(0)
            else:
                kk, cc = k0 + ty, col0 + tx
                sb[ty, tx] = b[kk, cc] if kk < k and cc < n else nb(0)
            cuda.syncthreads()
            for j in range(tile):
                acc += sa[ty, j] * sb[j, tx]
            cuda.syncthreads()
        r = row0 + ty
        col = col0 + tx
        if r < m and col < n:
            c[r, col] = acc
    return kernel


def _matmul2(a, b, ta, tb):
    m, k = (a.shape[1], a.shape[0]) if ta else a.shape
    n = b.shape[0] if tb else b.shape[1]
    out = empty((m, n), a.dtype)
    if m and n:
        if k == 0:
            return fill_value((m, n), 0, a.dtype)
        grid = (math.ceil(n / D.TILE), math.ceil(m / D.TILE))
        _matmul_kernel(a.dtype.str)[grid, (D.TILE, D.TILE)](a, b, out, m, n, k, bool(ta), bool(tb))
    return out


def matmul_nn(x, y):
    return matmul(x, y, False, False)


def matmul_tn(x, y):
    return matmul(x, y, True, False)


def matmul_nt(x, y):
    return matmul(x, y, False, True)


def matmul_tt(x, y):
    return matmul(x, y, True, True)


def matmul(x, y, transpose_a, transpose_b):
    """2-d @ 2-d with transpose flags, and np.dot's vector forms (a flag on a 1-d operand
    does nothing)."""
    if x.ndim == 2 and y.ndim == 2:
        return _matmul2(x, y, transpose_a, transpose_b)
    a = view(x, (1, x.shape[0])) if x.ndim == 1 else x
    b = view(y, (y.shape[0], 1)) if y.ndim == 1 else y
    out = _matmul2(a, b, transpose_a and x.ndim == 2, transpose_b and y.ndim == 2)
    shape = (() if x.ndim == 1 else (out.shape[0],)) + (() if y.ndim == 1 else (out.shape[1],))
    return view(out, shape)


@cuda.jit
def _bmm_thread(a, b, out):
    nb, m, k = a.shape
    n = b.shape[2]
    start, step = cuda.grid(1), cuda.gridsize(1)
    for t in range(start, nb * m * n, step):
        i = t // (m * n)
        r = (t // n) % m
        c = t % n
        acc = 0.0
        for j in range(k):
            acc += a[i, r, j] * b[i, j, c]
        out[i, r, c] = acc


def bmm(a, b):
    out = empty((a.shape[0], a.shape[1], b.shape[2]), a.dtype)
    if out.size:
        _bmm_thread[blocks_for(out.size), D.THREADS](a, b, out)
    return out


def bmm_as(a, b, order):
    """transpose(bmm(a, b), order), contiguous (as the cpu kernel returns it)."""
    return transpose(bmm(a, b), order)


@cuda.jit
def _outer(x, y, out):
    n = y.shape[0]
    start, step = cuda.grid(1), cuda.gridsize(1)
    for t in range(start, x.shape[0] * n, step):
        out[t // n, t % n] = x[t // n] * y[t % n]


def outer(x, y):
    x, y = flat(x), flat(y)
    out = empty((x.shape[0], y.shape[0]), np.result_type(x.dtype, y.dtype))
    if out.size:
        _outer[blocks_for(out.size), D.THREADS](x, y, out)
    return out


# -- softmax family, one thread per row ----------------------------------------------

@cuda.jit(device=True)
def _row_max_sumexp(x, i):
    """(m, s): row i's maximum and the sum of exp(x[i, j] - m), the stable softmax's two passes."""
    c = x.shape[1]
    m = x[i, 0]
    for j in range(1, c):
        if x[i, j] > m:
            m = x[i, j]
    s = 0.0
    for j in range(c):
        s += math.exp(x[i, j] - m)
    return m, s


@cuda.jit
def _softmax_rows(x, out, log):
    rows, c = x.shape
    start, step = cuda.grid(1), cuda.gridsize(1)
    for i in range(start, rows, step):
        m, s = _row_max_sumexp(x, i)
        if log:
            lse = m + math.log(s)
            for j in range(c):
                out[i, j] = x[i, j] - lse
        else:
            for j in range(c):
                out[i, j] = math.exp(x[i, j] - m) / s


def _softmax(x, log):
    c = tuple(x.shape)[-1]
    rows = x.size // c if c else 0
    out = empty(x.shape, x.dtype)
    if rows and c:
        _softmax_rows[blocks_for(rows), D.THREADS](view(x, (rows, c)), view(out, (rows, c)), log)
    return out


def softmax(x):
    return _softmax(x, False)


def log_softmax(x):
    return _softmax(x, True)


@cuda.jit
def _sce_rows(logits, labels, loss, backprop):
    n, c = logits.shape
    start, step = cuda.grid(1), cuda.gridsize(1)
    for i in range(start, n, step):
        m, s = _row_max_sumexp(logits, i)
        lse = m + math.log(s)
        acc = 0.0
        for j in range(c):
            logp = logits[i, j] - lse
            acc -= labels[i, j] * logp
            backprop[i, j] = math.exp(logp) - labels[i, j]
        loss[i] = acc


def softmax_cross_entropy(logits, labels):
    """MindSpore's SoftmaxCrossEntropyWithLogits: (loss per row, softmax - labels)."""
    n = logits.shape[0]
    loss = empty((n,), logits.dtype)
    backprop = empty(logits.shape, logits.dtype)
    if n:
        _sce_rows[blocks_for(n), D.THREADS](logits, labels, loss, backprop)
    return loss, backprop


@cuda.jit
def _sparse_sce_rows(logits, labels, row_loss, grad):
    n, c = logits.shape
    start, step = cuda.grid(1), cuda.gridsize(1)
    for i in range(start, n, step):
        m, s = _row_max_sumexp(logits, i)
        lse = m + math.log(s)
        label = labels[i]
        for j in range(c):
            p = math.exp(logits[i, j] - lse)
            grad[i, j] = (p - (1.0 if j == label else 0.0)) / n
        row_loss[i] = lse - logits[i, label]


@cuda.jit
def _mean_of(total, n, out):
    if cuda.grid(1) == 0:
        out[0] = total[0, 0] / n


def sparse_softmax_cross_entropy(logits, labels):
    """Mean loss over the batch (a 0-d device array) and its gradient (softmax - onehot) / N."""
    n = logits.shape[0]
    row_loss = empty((n,), np.float64)
    grad = empty(logits.shape, logits.dtype)
    _sparse_sce_rows[blocks_for(n), D.THREADS](logits, labels, row_loss, grad)
    total = _reduce_mid(view(row_loss, (1, n, 1)), np.float64)
    out = empty((1,), logits.dtype)
    _mean_of[1, 1](total, n, out)
    return view(out, ()), grad


@cuda.jit
def _one_hot(indices, out, on_value, off_value):
    depth = out.shape[1]
    start, step = cuda.grid(1), cuda.gridsize(1)
    for t in range(start, out.shape[0] * depth, step):
        i = t // depth
        k = t % depth
        out[i, k] = on_value if indices[i] == k else off_value


def one_hot(indices, depth, on_value, off_value, dtype):
    dtype = np.dtype(dtype)
    idx = flat(indices)
    out = empty((idx.shape[0], int(depth)), dtype)
    if out.size:
        _one_hot[blocks_for(out.size), D.THREADS](idx, out, dtype.type(on_value), dtype.type(off_value))
    return view(out, tuple(indices.shape) + (int(depth),))


# -- gather, slices, concatenation ----------------------------------------------------

@cuda.jit
def _gather_mid(x, indices, out):
    pre, n, post = x.shape
    m = indices.shape[0]
    start, step = cuda.grid(1), cuda.gridsize(1)
    for t in range(start, pre * m * post, step):
        i = t // (m * post)
        s = (t // post) % m
        k = t % post
        j = indices[s]
        if j < 0:
            j += n
        out[i, s, k] = x[i, j, k]


def gather_mid(x, indices):
    """x[:, indices, :]; negative indices count from the end. Out-of-range indices are
    not checked on the device (the CPU target raises IndexError)."""
    idx = flat(indices)
    out = empty((x.shape[0], idx.shape[0], x.shape[2]), x.dtype)
    if out.size:
        _gather_mid[blocks_for(out.size), D.THREADS](x, idx, out)
    return out


@cuda.jit
def _scatter_add_mid(g, indices, out):
    pre, m, post = g.shape
    n = out.shape[1]
    start, step = cuda.grid(1), cuda.gridsize(1)
    for t in range(start, pre * n * post, step):     # one thread per output: no atomics
        i = t // (n * post)
        j = (t // post) % n
        k = t % post
        acc = 0.0
        for s in range(m):
            js = indices[s]
            if js < 0:
                js += n
            if js == j:
                acc += g[i, s, k]
        out[i, j, k] = acc


def scatter_add_mid(g, indices, n):
    idx = flat(indices)
    out = empty((g.shape[0], int(n), g.shape[2]), g.dtype)
    if out.size:
        _scatter_add_mid[blocks_for(out.size), D.THREADS](g, idx, out)
    return out


@cuda.jit
def _window(x, out, offset, fill_outside):
    """out[:, j, :] = x[:, j - offset, :] where that exists, else 0 (slices and their adjoints)."""
    pre, n_out, post = out.shape
    n_in = x.shape[1]
    start, step = cuda.grid(1), cuda.gridsize(1)
    for t in range(start, pre * n_out * post, step):
        i = t // (n_out * post)
        j = (t // post) % n_out
        k = t % post
        s = j - offset
        if 0 <= s < n_in:
            out[i, j, k] = x[i, s, k]
        else:
            out[i, j, k] = fill_outside


def slice_mid(x, start, stop):
    out = empty((x.shape[0], stop - start, x.shape[2]), x.dtype)
    if out.size:
        _window[blocks_for(out.size), D.THREADS](x, out, -start, x.dtype.type(0))
    return out


def unslice_mid(g, n, start):
    out = empty((g.shape[0], int(n), g.shape[2]), g.dtype)
    if out.size:
        _window[blocks_for(out.size), D.THREADS](g, out, start, g.dtype.type(0))
    return out


@cuda.jit
def _concat_mid(x, y, out):
    pre, n_out, post = out.shape
    nx = x.shape[1]
    start, step = cuda.grid(1), cuda.gridsize(1)
    for t in range(start, pre * n_out * post, step):
        i = t // (n_out * post)
        j = (t // post) % n_out
        k = t % post
        if j < nx:
            out[i, j, k] = x[i, j, k]
        else:
            out[i, j, k] = y[i, j - nx, k]


def concat2(x, y, axis):
    dtype = np.result_type(x.dtype, y.dtype)
    x3, pre, post = _mid_view(x, axis)
    y3, _, _ = _mid_view(y, axis)
    shape = list(x.shape)
    shape[axis] = x.shape[axis] + y.shape[axis]
    out = empty(shape, dtype)
    if out.size:
        _concat_mid[blocks_for(out.size), D.THREADS](x3, y3, view(out, (pre, shape[axis], post)))
    return out
