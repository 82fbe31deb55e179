"""CPU kernels: one small NumPy function per primitive, valid in Numba's nopython
mode. The `python` backend runs them as they are; the `cpu` backend njit's them.

Rules that keep float32 programs float32 under Numba (which, unlike NumPy 2, does
not treat Python scalars as weak): constants come from `const_like`, never bare
literals mixed with arrays.
"""
import numpy as np
from numba import types
from numba.extending import overload


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

def matmul(x, y, transpose_a, transpose_b):
    # Transposes are views (F-ordered), which Numba's BLAS call takes without a copy.
    if transpose_a and transpose_b:
        return np.dot(x.T, y.T)
    if transpose_a:
        return np.dot(x.T, y)
    if transpose_b:
        return np.dot(x, y.T)
    return np.dot(x, y)


# -- reductions and shapes (multi-axis forms are chains of these) -------------

def sum_all(x):
    return np.sum(x)


def sum_axis(x, axis):
    return np.sum(x, axis=axis)


def sum_axis_keep(x, axis):
    return np.expand_dims(np.sum(x, axis=axis), axis)


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
    out = np.empty_like(x2)
    for i in range(x2.shape[0]):
        m = x2[i].max()
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
    out = np.empty_like(x2)
    for i in range(x2.shape[0]):
        m = x2[i].max()
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
    loss = np.empty(n, logits.dtype)
    backprop = np.empty_like(logits)
    for i in range(n):
        m = logits[i].max()
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
    grad = np.empty_like(logits)
    total = 0.0
    for i in range(n):
        m = logits[i].max()
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


def _make_jitable():
    """Let Numba compile calls to every kernel from generated code, while each stays
    a plain Python function for the `python` backend and eager calls."""
    import inspect
    from numba.extending import register_jitable
    for name, fn in list(globals().items()):
        if inspect.isfunction(fn) and fn.__module__ == __name__ and fn is not const_like \
                and not name.startswith("_make") and not name.startswith("_const"):
            register_jitable(fn)


_make_jitable()
