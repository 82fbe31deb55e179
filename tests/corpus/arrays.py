"""Array-level code: operators + - * / @ ** and unary -, NumPy functions, Tensor
methods (.sum(axis), .mean(), .reshape(), .T), s2sgrad.ops primitives and functional
ops, broadcasting."""
import math

import autograd.numpy as anp
import numpy as np

from s2sgrad import ops
from . import Case, rng, away

FEATURE = "arrays"

matmul = ops.MatMul()
matmul_tb = ops.MatMul(transpose_b=True)
matmul_ta = ops.MatMul(transpose_a=True)
relu = ops.ReLU()
reduce_sum_keep = ops.ReduceSum(keep_dims=True)
reduce_mean = ops.ReduceMean()
softmax = ops.Softmax()
log_softmax = ops.LogSoftmax()
sigmoid = ops.Sigmoid()
expand_dims = ops.ExpandDims()
sparse_sce = ops.SparseSoftmaxCrossEntropyWithLogits()
transpose = ops.Transpose()
reshape = ops.Reshape()
square = ops.Square()
bias_add = ops.BiasAdd()
concat_1 = ops.Concat(axis=1)
stack_last = ops.Stack(-1)


def r(seed, *shape):
    return rng(seed).standard_normal(shape)


def positive(seed, *shape):
    return np.abs(r(seed, *shape)) + 0.5


# 1. two-layer MLP in NumPy
def ar_mlp(x, w1, b1, w2):
    h = np.tanh(x @ w1 + b1)
    return (h @ w2).mean()


def ar_mlp_ag(x, w1, b1, w2):
    h = anp.tanh(anp.dot(x, w1) + b1)
    return anp.mean(anp.dot(h, w2))


# 2. log-sum-exp over rows with the max subtracted
def ar_logsumexp(x):
    m = np.max(x, axis=1, keepdims=True)
    return np.log(np.exp(x - m).sum(axis=1)) + m.sum(axis=1)


def ar_logsumexp_ag(x):
    m = anp.max(x, axis=1, keepdims=True)
    return anp.log(anp.sum(anp.exp(x - m), axis=1)) + anp.sum(m, axis=1)


# 3. softmax in NumPy
def ar_softmax(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def ar_softmax_ag(x):
    e = anp.exp(x - anp.max(x, axis=1, keepdims=True))
    return e / anp.sum(e, axis=1, keepdims=True)


# 4. layer normalisation
def ar_layernorm(x, g, b):
    mu = np.mean(x, axis=-1, keepdims=True)
    var = np.mean((x - mu) ** 2, axis=-1, keepdims=True)
    return (x - mu) / np.sqrt(var + 1e-5) * g + b


def ar_layernorm_ag(x, g, b):
    mu = anp.mean(x, axis=-1, keepdims=True)
    var = anp.mean((x - mu) ** 2, axis=-1, keepdims=True)
    return (x - mu) / anp.sqrt(var + 1e-5) * g + b


# 5. scaled dot-product attention
def ar_attention(q, k, v):
    scores = q @ k.T / math.sqrt(q.shape[1])
    scores = scores - scores.max(axis=-1, keepdims=True)
    w = np.exp(scores)
    w = w / w.sum(axis=-1, keepdims=True)
    return w @ v


def ar_attention_ag(q, k, v):
    scores = anp.dot(q, k.T) / math.sqrt(q.shape[1])
    scores = scores - anp.max(scores, axis=-1, keepdims=True)
    w = anp.exp(scores)
    w = w / anp.sum(w, axis=-1, keepdims=True)
    return anp.dot(w, v)


# 6. cosine similarity of rows
def ar_cosine(a, b):
    num = (a * b).sum(axis=1)
    den = np.sqrt((a * a).sum(axis=1)) * np.sqrt((b * b).sum(axis=1))
    return num / den


def ar_cosine_ag(a, b):
    num = anp.sum(a * b, axis=1)
    den = anp.sqrt(anp.sum(a * a, axis=1)) * anp.sqrt(anp.sum(b * b, axis=1))
    return num / den


# 7. Huber loss with np.where and np.abs
def ar_huber(pred, target):
    d = pred - target
    a = np.abs(d)
    return np.where(a < 1.0, 0.5 * d * d, a - 0.5).mean()


def ar_huber_ag(pred, target):
    d = pred - target
    a = anp.abs(d)
    return anp.mean(anp.where(a < 1.0, 0.5 * d * d, a - 0.5))


# 8. np.clip
def ar_clip(x):
    return np.clip(x, -1.0, 1.0) * x + np.clip(x * 2.0, a_min=-0.5, a_max=3.0)


def ar_clip_ag(x):
    return anp.clip(x, -1.0, 1.0) * x + anp.clip(x * 2.0, -0.5, 3.0)


# 9. np.maximum as a ReLU
def ar_maximum(x, w):
    return (np.maximum(x, 0.0) * w).sum() + np.minimum(x, w).sum()


def ar_maximum_ag(x, w):
    return anp.sum(anp.maximum(x, 0.0) * w) + anp.sum(anp.minimum(x, w))


# 10. broadcasting between (3,1), (1,4) and (4,)
def ar_broadcast(a, b, c):
    return (a * b + c) / (1.0 + a * a) - b * c


def ar_broadcast_ag(a, b, c):
    return (a * b + c) / (1.0 + a * a) - b * c


# 11. every operator
def ar_operators(x, y):
    return x ** 3 - y / (x * x + 1.0) + (-x) * y - (x @ y.T).sum() * 0.1


def ar_operators_ag(x, y):
    return x ** 3 - y / (x * x + 1.0) + (-x) * y - anp.sum(anp.dot(x, y.T)) * 0.1


# 12. tensor ** tensor
def ar_pow_tensor(x, p):
    return (x ** p).sum() + (p ** 2.0).mean()


def ar_pow_tensor_ag(x, p):
    return anp.sum(x ** p) + anp.mean(p ** 2.0)


# 13. reshape and .T
def ar_reshape_transpose(x, w):
    return x.reshape(2, 6).T @ w


def ar_reshape_transpose_ag(x, w):
    return anp.dot(anp.reshape(x, (2, 6)).T, w)


# 14. Tensor methods
def ar_tensor_methods(x):
    return x.sum(axis=0) * x.mean() + x.T.sum(1) * x.mean(axis=0).sum()


def ar_tensor_methods_ag(x):
    return anp.sum(x, axis=0) * anp.mean(x) + anp.sum(x.T, 1) * anp.sum(anp.mean(x, axis=0))


# 15. ops primitives: MatMul, ReLU, ReduceSum(keep_dims), Softmax
def ar_ops_primitives(x, w):
    h = relu(matmul(x, w))
    s = reduce_sum_keep(h, 1)
    return softmax(h - s * 0.1)


# 16. MatMul with transposes
def ar_ops_transposes(x, w, v):
    return matmul_ta(matmul_tb(x, w), v)


def ar_ops_transposes_ag(x, w, v):
    return anp.dot(anp.dot(x, w.T).T, v)


# 17. functional ops
def ar_functional_ops(x):
    y = ops.sigmoid(x) * ops.exp(x * 0.5) + ops.log(ops.square(x) + 1.0)
    return ops.sqrt(y * y + 1.0) + ops.tanh(ops.relu(x + 5.0))


def ar_functional_ops_ag(x):
    y = 1.0 / (1.0 + anp.exp(-x)) * anp.exp(x * 0.5) + anp.log(x * x + 1.0)
    return anp.sqrt(y * y + 1.0) + anp.tanh(x + 5.0)


# 18. log-softmax negative log likelihood against one-hot floats
def ar_log_softmax_nll(logits, target):
    return -(log_softmax(logits) * target).sum(axis=1).mean()


def ar_log_softmax_nll_ag(logits, target):
    ls = logits - anp.log(anp.sum(anp.exp(logits), axis=1, keepdims=True))
    return -anp.mean(anp.sum(ls * target, axis=1))


# 19. sparse softmax cross-entropy with int labels
def ar_sparse_sce(x, w, labels):
    return sparse_sce(x @ w, labels)


# 20. ExpandDims and broadcasting
def ar_expand_dims(x, y):
    return (expand_dims(x, 1) * y).sum(axis=0)


def ar_expand_dims_ag(x, y):
    return anp.sum(anp.expand_dims(x, 1) * y, axis=0)


# 21. GELU (tanh approximation)
def ar_gelu(x):
    c = math.sqrt(2.0 / math.pi)
    return 0.5 * x * (1.0 + np.tanh(c * (x + 0.044715 * x ** 3)))


def ar_gelu_ag(x):
    c = math.sqrt(2.0 / math.pi)
    return 0.5 * x * (1.0 + anp.tanh(c * (x + 0.044715 * x ** 3)))


# 22. swish with the Sigmoid primitive
def ar_swish(x):
    return x * sigmoid(x)


def ar_swish_ag(x):
    return x / (1.0 + anp.exp(-x))


# 23. binary cross-entropy on sigmoid outputs
def ar_bce(z, y):
    p = 1.0 / (1.0 + np.exp(-z))
    return -(y * np.log(p) + (1.0 - y) * np.log(1.0 - p)).mean()


def ar_bce_ag(z, y):
    p = 1.0 / (1.0 + anp.exp(-z))
    return -anp.mean(y * anp.log(p) + (1.0 - y) * anp.log(1.0 - p))


# 24. np.expand_dims weighting of rows
def ar_row_weights(x, w):
    return (x * np.expand_dims(w, 1)).sum(axis=0)


# 25. np.sin / np.cos
def ar_trig(x, y):
    return np.sin(x) * np.cos(y) + np.tan(x * 0.3)


def ar_trig_ag(x, y):
    return anp.sin(x) * anp.cos(y) + anp.tan(x * 0.3)


# 26. normalising rows by their sum
def ar_row_normalise(x):
    return x / x.sum(axis=1, keepdims=True)


# 27. np.cumsum
def ar_cumsum(x, w):
    return np.cumsum(x, axis=0) * w


def ar_cumsum_ag(x, w):
    return anp.cumsum(x, axis=0) * w


# 28. np.einsum
def ar_einsum(a, b):
    return np.einsum("ij,jk->ik", a, b) * 2.0


# 29. np.tile
def ar_tile(x, y):
    return np.tile(x, (2, 1)) * y


# 30. polynomial in array form (Horner)
def ar_horner(x, c):
    return c[0] + x * (c[1] + x * (c[2] + x * c[3]))


def ar_horner_ag(x, c):
    return c[0] + x * (c[1] + x * (c[2] + x * c[3]))


# 31. Gram matrix and its trace by elementwise product
def ar_gram(x):
    g = x.T @ x
    return (g * g).sum() + (x @ x.T).mean()


# 32. softsign with np.abs (away from 0)
def ar_softsign(x):
    return x / (1.0 + np.abs(x))


# 33. ops.Transpose, ops.Reshape, ops.BiasAdd, ops.Square
def ar_ops_shapes(x, b):
    y = transpose(reshape(x, (3, 4)), (1, 0))
    return square(bias_add(y, b)).sum()


# 34. np.dot on matrices and a ReduceMean primitive
def ar_np_dot(a, b, c):
    return reduce_mean(np.dot(np.dot(a, b), c) ** 2)


def ar_np_dot_ag(a, b, c):
    return anp.mean(anp.dot(anp.dot(a, b), c) ** 2)


# 35. max over an axis (no ties)
def ar_reduce_max(x):
    return np.max(x, axis=1) * x.min(axis=1)


def ar_reduce_max_ag(x):
    return anp.max(x, axis=1) * anp.min(x, axis=1)


# 36. a shape unpacked into names, as model code writes `batch, features = x.shape`
def ar_shape_unpack(x, w):
    n, d = x.shape
    h = x @ w
    rows, cols = h.shape
    return h.sum(axis=1) / d + x[n - 1].sum() * cols / rows


def ar_shape_unpack_ag(x, w):
    n, d = x.shape
    h = anp.dot(x, w)
    rows, cols = h.shape
    return anp.sum(h, axis=1) / d + anp.sum(x[n - 1]) * cols / rows


# 37. new axes from None and np.newaxis: pairwise differences, a row and a column of a matrix
def ar_new_axes(x, y, m):
    d = np.exp(-(x[:, None] - y[np.newaxis, :]) ** 2)
    return d * m[0, None] + m[None, :, 1].T * m[:, None, 0]


def ar_new_axes_ag(x, y, m):
    d = anp.exp(-(x[:, None] - y[np.newaxis, :]) ** 2)
    return d * m[0, None] + m[None, :, 1].T * m[:, None, 0]


# 38. a reshape to one int, as NumPy takes it; flatten and ravel
def ar_reshape_int(x):
    return np.tanh(x.reshape(-1)) * np.reshape(x, 12) + x.flatten() * np.ravel(x.T) - x.ravel()


def ar_reshape_int_ag(x):
    return anp.tanh(anp.reshape(x, -1)) * anp.reshape(x, 12) + x.flatten() * anp.ravel(x.T) - anp.ravel(x)


# 39. np.concatenate and np.stack of tuples and lists, along positive and negative axes
def ar_join(x, y):
    z = np.concatenate((x, y * 2.0, x), axis=1)
    s = np.stack([x, np.tanh(y)], axis=-1)
    return np.tanh(z).sum(axis=0) * s.sum(axis=(0, 2)).sum() + np.concatenate([x[0], y[1]]).sum()


def ar_join_ag(x, y):
    z = anp.concatenate((x, y * 2.0, x), axis=1)
    s = anp.stack([x, anp.tanh(y)], axis=-1)
    return anp.sum(anp.tanh(z), axis=0) * anp.sum(anp.sum(s, axis=(0, 2))) + anp.sum(anp.concatenate([x[0], y[1]]))


# 40. variance and standard deviation: a hand-written layer norm, methods and NumPy forms
def ar_moments(x):
    normed = (x - x.mean(axis=-1, keepdims=True)) / np.sqrt(x.var(axis=-1, keepdims=True) + 1e-5)
    return normed * x.std(axis=0) + np.var(x) * np.std(x, 1, keepdims=True)


def ar_moments_ag(x):
    normed = (x - anp.mean(x, axis=-1, keepdims=True)) / anp.sqrt(anp.var(x, axis=-1, keepdims=True) + 1e-5)
    return normed * anp.std(x, axis=0) + anp.var(x) * anp.std(x, 1, keepdims=True)


# 41. MindSpore's forms of 39: ops.Concat(axis), ops.Stack(axis), ops.concat, ops.cat, ops.stack
def ar_ops_join(x, y):
    z = concat_1((x, y * 2.0))
    s = stack_last([x, y])
    return (ops.tanh(z) * ops.cat([y, x], axis=1)).sum(axis=0) + s.sum(axis=-1).sum() * ops.concat((x, y)).mean() \
        + ops.stack((x, y)).sum()


def ar_ops_join_ag(x, y):
    z = anp.concatenate((x, y * 2.0), axis=1)
    s = anp.stack([x, y], axis=-1)
    return anp.sum(anp.tanh(z) * anp.concatenate([y, x], axis=1), axis=0) \
        + anp.sum(anp.sum(s, axis=-1)) * anp.mean(anp.concatenate((x, y))) + anp.sum(anp.stack((x, y)))


# 42. np.outer of a vector and a matrix (flattened, as NumPy does; autograd's outer takes vectors only)
def ar_outer(x, m):
    return np.tanh(np.outer(x, m)).sum(axis=1) + np.outer(m[0], x).T.sum(axis=0)


# 43. np.split into equal parts and at indices, ops.Split: LSTM-style gates
split_cols = ops.Split(axis=1, output_num=2)


def ar_split(x, w):
    i, f, g, o = np.split(x @ w, 4, axis=1)
    head, rest = np.split(x, [1], axis=0)
    left, right = split_cols(x)
    c = ops.sigmoid(f) * ops.tanh(g) + ops.sigmoid(i)
    return (ops.sigmoid(o) * np.tanh(c)).sum() + (head * head).sum() * rest.sum() + (left * ops.exp(right)).sum()


def ar_split_ag(x, w):
    sig = lambda v: 1.0 / (1.0 + anp.exp(-v))    # noqa: E731
    i, f, g, o = anp.split(anp.dot(x, w), 4, axis=1)
    head, rest = anp.split(x, [1], axis=0)
    left, right = anp.split(x, 2, axis=1)
    c = sig(f) * anp.tanh(g) + sig(i)
    return anp.sum(sig(o) * anp.tanh(c)) + anp.sum(head * head) * anp.sum(rest) + anp.sum(left * anp.exp(right))


# 44. the ellipsis: GMM's centred points written as in GradBench's JAX version
def ar_ellipsis(x, means):
    xc = x[:, None, :] - means[None, ...]
    return np.sum(xc[..., 1] ** 2) + np.sum(np.tanh(xc[0, ...])) + np.sum(xc[..., 0:2, :] * xc[1])


def ar_ellipsis_ag(x, means):
    xc = x[:, None, :] - means[None, ...]
    return anp.sum(xc[..., 1] ** 2) + anp.sum(anp.tanh(xc[0, ...])) + anp.sum(xc[..., 0:2, :] * xc[1])


# 45. log1p and expm1 (NumPy, math, ops): a softplus written the stable way
def ar_log1p_expm1(x):
    s = np.sum(x * x)
    softplus = np.log1p(np.exp(-np.abs(x))) + np.maximum(x, 0.0)
    return np.sum(softplus * np.expm1(x * 0.5)) + math.log1p(s) + ops.log1p(x).sum() - ops.Expm1()(-x).mean()


def ar_log1p_expm1_ag(x):
    s = anp.sum(x * x)
    softplus = anp.log1p(anp.exp(-anp.abs(x))) + anp.maximum(x, 0.0)
    return anp.sum(softplus * anp.expm1(x * 0.5)) + anp.log1p(s) + anp.sum(anp.log1p(x)) - anp.mean(anp.expm1(-x))


CASES = [
    Case("ar_mlp", ar_mlp, lambda: (r(1, 3, 4), r(2, 4, 5), r(3, 5), r(4, 5, 2)), ar_mlp_ag),
    Case("ar_logsumexp", ar_logsumexp, lambda: (r(5, 3, 4),), ar_logsumexp_ag),
    Case("ar_softmax", ar_softmax, lambda: (r(6, 2, 5),), ar_softmax_ag),
    Case("ar_layernorm", ar_layernorm, lambda: (r(7, 3, 4), r(8, 4), r(9, 4)), ar_layernorm_ag),
    Case("ar_attention", ar_attention, lambda: (r(10, 3, 4), r(11, 5, 4), r(12, 5, 2)), ar_attention_ag),
    Case("ar_cosine", ar_cosine, lambda: (r(13, 3, 4), r(14, 3, 4)), ar_cosine_ag),
    Case("ar_huber", ar_huber, lambda: (np.array([0.3, -2.0, 1.8, 0.1, -0.4]), np.array([0.1, 0.5, -0.2, 0.6, 0.2])),
         ar_huber_ag),
    Case("ar_clip", ar_clip, lambda: (np.array([-1.6, -0.6, 0.1, 0.7, 1.4, 2.0]),), ar_clip_ag),
    Case("ar_maximum", ar_maximum, lambda: (away(r(15, 2, 3)), r(16, 2, 3) + 0.05), ar_maximum_ag),
    Case("ar_broadcast", ar_broadcast, lambda: (r(17, 3, 1), r(18, 1, 4), r(19, 4)), ar_broadcast_ag),
    Case("ar_operators", ar_operators, lambda: (r(20, 2, 3), r(21, 2, 3)), ar_operators_ag),
    Case("ar_pow_tensor", ar_pow_tensor, lambda: (positive(22, 2, 3), r(23, 3)), ar_pow_tensor_ag),
    Case("ar_reshape_transpose", ar_reshape_transpose, lambda: (r(24, 3, 4), r(25, 2, 3)), ar_reshape_transpose_ag),
    Case("ar_tensor_methods", ar_tensor_methods, lambda: (r(26, 3, 4),), ar_tensor_methods_ag),
    Case("ar_ops_primitives", ar_ops_primitives, lambda: (r(27, 3, 4), r(28, 4, 5))),
    Case("ar_ops_transposes", ar_ops_transposes, lambda: (r(29, 3, 4), r(30, 2, 4), r(31, 3, 2)), ar_ops_transposes_ag),
    Case("ar_functional_ops", ar_functional_ops, lambda: (r(32, 2, 3),), ar_functional_ops_ag),
    Case("ar_log_softmax_nll", ar_log_softmax_nll, lambda: (r(33, 3, 4), np.eye(4)[[1, 3, 0]]), ar_log_softmax_nll_ag),
    Case("ar_sparse_sce", ar_sparse_sce, lambda: (r(34, 3, 4), r(35, 4, 5), np.array([2, 0, 4], np.int32))),
    Case("ar_expand_dims", ar_expand_dims, lambda: (r(36, 3), r(37, 3, 4)), ar_expand_dims_ag),
    Case("ar_gelu", ar_gelu, lambda: (r(38, 2, 4),), ar_gelu_ag),
    Case("ar_swish", ar_swish, lambda: (r(39, 5),), ar_swish_ag),
    Case("ar_bce", ar_bce, lambda: (r(40, 6), rng(41).uniform(0.0, 1.0, 6)), ar_bce_ag),
    Case("ar_row_weights", ar_row_weights, lambda: (r(42, 3, 4), r(43, 3))),
    Case("ar_trig", ar_trig, lambda: (r(44, 2, 3), r(45, 2, 3)), ar_trig_ag),
    Case("ar_row_normalise", ar_row_normalise, lambda: (positive(46, 3, 4),)),
    Case("ar_cumsum", ar_cumsum, lambda: (r(47, 4, 2), r(48, 4, 2)), ar_cumsum_ag),
    Case("ar_einsum", ar_einsum, lambda: (r(49, 2, 3), r(50, 3, 4))),
    Case("ar_tile", ar_tile, lambda: (r(51, 2, 3), r(52, 4, 3))),
    Case("ar_horner", ar_horner, lambda: (r(53, 5), r(54, 4)), ar_horner_ag),
    Case("ar_gram", ar_gram, lambda: (r(55, 3, 2),)),
    Case("ar_softsign", ar_softsign, lambda: (away(r(56, 5)),)),
    Case("ar_ops_shapes", ar_ops_shapes, lambda: (r(57, 2, 6), r(58, 3))),
    Case("ar_np_dot", ar_np_dot, lambda: (r(59, 2, 3), r(60, 3, 4), r(61, 4, 2)), ar_np_dot_ag),
    Case("ar_reduce_max", ar_reduce_max, lambda: (r(62, 3, 4),), ar_reduce_max_ag),
    Case("ar_shape_unpack", ar_shape_unpack, lambda: (r(63, 3, 4), r(64, 4, 2)), ar_shape_unpack_ag),
    Case("ar_new_axes", ar_new_axes, lambda: (r(65, 3), r(66, 3), r(67, 3, 3)), ar_new_axes_ag),
    Case("ar_reshape_int", ar_reshape_int, lambda: (r(68, 3, 4),), ar_reshape_int_ag),
    Case("ar_join", ar_join, lambda: (r(69, 3, 4), r(70, 3, 4)), ar_join_ag),
    Case("ar_moments", ar_moments, lambda: (r(71, 3, 4),), ar_moments_ag),
    Case("ar_ops_join", ar_ops_join, lambda: (r(72, 3, 4), r(73, 3, 4)), ar_ops_join_ag),
    Case("ar_ellipsis", ar_ellipsis, lambda: (r(76, 4, 3), r(77, 2, 3)), ar_ellipsis_ag),
    Case("ar_log1p_expm1", ar_log1p_expm1, lambda: (positive(78, 3, 4) - 0.4,), ar_log1p_expm1_ag),
    Case("ar_split", ar_split, lambda: (r(74, 3, 4), r(75, 4, 8)), ar_split_ag),
    Case("ar_outer", ar_outer, lambda: (r(74, 3), r(75, 2, 3))),
]
