"""Every primitive's adjoint against float64 central finite differences, on shapes
that broadcast, through the Numba backend; each form users write (MindSpore
primitive, functional op, operator, NumPy function, Tensor method)."""
import numpy as np
import pytest

import s2sgrad as ms
from s2sgrad import ops, Tensor, nn
from gradcheck import check_grads

rng = np.random.default_rng(42)


def rand(*shape, positive=False):
    x = rng.standard_normal(shape)
    return np.abs(x) + 0.5 if positive else x


add, sub, mul, div = ops.Add(), ops.Sub(), ops.Mul(), ops.RealDiv()
neg, square, exp, log, sqrt, pow_ = ops.Neg(), ops.Square(), ops.Exp(), ops.Log(), ops.Sqrt(), ops.Pow()
relu, sigmoid, tanh = ops.ReLU(), ops.Sigmoid(), ops.Tanh()
bias_add = ops.BiasAdd()
reduce_sum, reduce_sum_keep = ops.ReduceSum(), ops.ReduceSum(keep_dims=True)
reduce_mean, reduce_mean_keep = ops.ReduceMean(), ops.ReduceMean(keep_dims=True)
reshape, transpose, expand_dims = ops.Reshape(), ops.Transpose(), ops.ExpandDims()
softmax, log_softmax = ops.Softmax(), ops.LogSoftmax()
cast = ops.Cast()
zeros_like, ones_like = ops.ZerosLike(), ops.OnesLike()
matmuls = {(a, b): ops.MatMul(transpose_a=a, transpose_b=b) for a in (False, True) for b in (False, True)}


def f_add(x, y): return add(x, y)
def f_sub(x, y): return sub(x, y)
def f_mul(x, y): return mul(x, y)
def f_div(x, y): return div(x, y)
def f_reciprocal(x): return div(1.0, x)
def f_neg(x): return neg(x)
def f_square(x): return square(x)
def f_exp(x): return exp(x)
def f_log(x): return log(x)
def f_sqrt(x): return sqrt(x)
def f_pow(x, y): return pow_(x, y)
def f_pow_const(x): return pow_(x, 3.0)
def f_relu(x): return relu(x)
def f_sigmoid(x): return sigmoid(x)
def f_tanh(x): return tanh(x)
def f_bias_add(x, b): return bias_add(x, b)
def f_sum_all(x): return reduce_sum(x)
def f_sum_axis(x): return reduce_sum(x, 1)
def f_sum_axes_keep(x): return reduce_sum_keep(x, (0, 2))
def f_mean_all(x): return reduce_mean(x)
def f_mean_axis(x): return reduce_mean(x, -1)
def f_mean_keep(x): return reduce_mean_keep(x, (0, 2))
def f_reshape(x): return reshape(x, (3, -1))
def f_transpose(x): return transpose(x, (2, 0, 1))
def f_expand_dims(x): return expand_dims(x, 1)
def f_softmax(x): return softmax(x)
def f_log_softmax(x): return log_softmax(x)
def f_cast(x): return cast(cast(x, ms.float32), ms.float64) * x
def f_zeros_like(x): return zeros_like(x) + x * 2.0
def f_ones_like(x): return ones_like(x) * x


def _mm(a, b):
    def f(x, y):
        return matmuls[(a, b)](x, y)
    f.__name__ = f"f_matmul_{a}_{b}"
    return f


CASES = [
    ("add broadcast", f_add, (rand(3, 1), rand(1, 4))),
    ("add scalar-shaped", f_add, (rand(2, 3), rand())),
    ("sub broadcast", f_sub, (rand(2, 3), rand(3))),
    ("mul broadcast", f_mul, (rand(4, 1, 3), rand(2, 3))),
    ("div broadcast", f_div, (rand(3, 4), rand(4, positive=True))),
    ("reciprocal", f_reciprocal, (rand(3, 4, positive=True),)),
    ("neg", f_neg, (rand(2, 3),)),
    ("square", f_square, (rand(2, 3),)),
    ("exp", f_exp, (rand(2, 3),)),
    ("log", f_log, (rand(2, 3, positive=True),)),
    ("sqrt", f_sqrt, (rand(5, positive=True),)),
    ("pow broadcast", f_pow, (rand(2, 3, positive=True), rand(3))),
    ("pow constant exponent", f_pow_const, (rand(2, 3),)),
    ("relu", f_relu, (rand(3, 4),)),
    ("sigmoid", f_sigmoid, (rand(3, 4),)),
    ("tanh", f_tanh, (rand(3, 4),)),
    ("bias_add 2d", f_bias_add, (rand(4, 3), rand(3))),
    ("bias_add nchw", f_bias_add, (rand(2, 3, 2, 2), rand(3))),
    ("reduce_sum all", f_sum_all, (rand(2, 3),)),
    ("reduce_sum axis", f_sum_axis, (rand(2, 3, 4),)),
    ("reduce_sum axes keep_dims", f_sum_axes_keep, (rand(2, 3, 4),)),
    ("reduce_mean all", f_mean_all, (rand(2, 3),)),
    ("reduce_mean axis", f_mean_axis, (rand(2, 3, 4),)),
    ("reduce_mean axes keep_dims", f_mean_keep, (rand(2, 3, 4),)),
    ("reshape", f_reshape, (rand(2, 3, 2),)),
    ("transpose", f_transpose, (rand(2, 3, 4),)),
    ("expand_dims", f_expand_dims, (rand(2, 3),)),
    ("softmax", f_softmax, (rand(3, 5),)),
    ("log_softmax", f_log_softmax, (rand(2, 2, 4),)),
    ("zeros_like", f_zeros_like, (rand(3),)),
    ("ones_like", f_ones_like, (rand(3),)),
] + [(f"matmul ta={a} tb={b}", _mm(a, b), (rand(*((4, 3) if a else (3, 4))), rand(*((5, 4) if b else (4, 5)))))
     for a in (False, True) for b in (False, True)]


@pytest.mark.parametrize("name,fn,args", CASES, ids=[c[0] for c in CASES])
def test_primitive_gradient_matches_finite_differences(name, fn, args):
    check_grads(fn, *args)


def test_reciprocal_gradient_divides_once():
    """d(1/x) = -d * z * z with z = 1/x from the forward: the backward has no division."""
    grad = nn.ForwardValueAndGrad(ms.jit(f_reciprocal, target="python"))
    grad(Tensor(rand(3, positive=True)))
    backward = ms.source(grad).split("def backward", 1)[1].split("def value_and_grad")[0]
    code = [line for line in backward.splitlines() if not line.strip().startswith("#")]
    assert code and not any("/" in line for line in code), backward


def test_cast_passes_gradient_through_with_input_dtype():
    # Finite differences through a float32 rounding are meaningless; the rule is exact:
    # d/dx [float64(float32(x)) * x]: both paths carry float32(x) (the cast rounds the
    # adjoint too, as MindSpore's Cast rule does), returned as float64.
    x = rand(3)
    out, dx = nn.ForwardValueAndGrad(f_cast)(Tensor(x))
    assert out.dtype == ms.float64 and dx.dtype == ms.float64
    np.testing.assert_allclose(dx.asnumpy(), 2 * x.astype(np.float32).astype(np.float64), rtol=1e-12)
    out32, dx32 = nn.ForwardValueAndGrad(lambda_free_cast)(Tensor(x))
    assert out32.dtype == ms.float32 and dx32.dtype == ms.float64
    np.testing.assert_array_equal(dx32.asnumpy(), np.ones(3))


def lambda_free_cast(x):
    return cast(x, ms.float32)


sce = ops.SoftmaxCrossEntropyWithLogits()
sparse_sce = ops.SparseSoftmaxCrossEntropyWithLogits()
one_hot = ops.OneHot()


def f_sce(logits, labels):
    return sce(logits, labels)[0]


def f_sparse_sce(logits, labels):
    return sparse_sce(logits, labels)


def f_one_hot(logits, labels):
    return logits * one_hot(labels, 4, 1.0, 0.0)


def test_softmax_cross_entropy_follows_mindspore_rule():
    """dlogits = softmax - labels (exact when label rows sum to 1); dlabels = 0."""
    labels = rng.dirichlet(np.ones(4), size=3)
    logits = rand(3, 4)
    grad = nn.ForwardValueAndGrad(f_sce, get_all=True)
    loss, (dlogits, dlabels) = grad(Tensor(logits), Tensor(labels))
    soft = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    np.testing.assert_allclose(loss.asnumpy(), -(labels * np.log(soft)).sum(1), rtol=1e-12)
    np.testing.assert_allclose(dlogits.asnumpy(), soft - labels, rtol=1e-10)
    assert not dlabels.asnumpy().any()
    # and against finite differences for the logits (rows of labels sum to 1)
    from gradcheck import numeric_grads
    want = numeric_grads(f_sce, [Tensor(logits), Tensor(labels)], [np.ones(3)], [0])[0]
    np.testing.assert_allclose(dlogits.asnumpy(), want, rtol=1e-5, atol=1e-7)


def test_sparse_softmax_cross_entropy_mean_and_int_label_zeros():
    logits = rand(5, 4)
    labels = np.array([0, 3, 1, 1, 2], np.int32)
    grad = nn.ForwardValueAndGrad(f_sparse_sce, get_all=True)
    loss, (dlogits, dlabels) = grad(Tensor(logits), Tensor(labels))
    from gradcheck import numeric_grads
    want = numeric_grads(f_sparse_sce, [Tensor(logits), Tensor(labels)], [np.ones(())], [0])[0]
    np.testing.assert_allclose(dlogits.asnumpy(), want, rtol=1e-5, atol=1e-7)
    assert loss.shape == () and dlabels.dtype == ms.int32
    assert not dlabels.asnumpy().any()


def test_one_hot_forward_and_zero_index_gradient():
    logits = rand(3, 4)
    labels = np.array([1, 0, 3], np.int64)
    grads = check_grads(f_one_hot, logits, labels)
    assert not grads[0].asnumpy()[np.eye(4)[labels] == 0].any()
    assert grads[1].dtype == ms.int64 and not grads[1].asnumpy().any()
