"""Dropout, BatchNorm1d/2d, LayerNorm, Embedding and the activations GELU, Softmax,
LogSoftmax, LeakyReLU: gradients of inputs and weights against float64 central finite
differences of the eager layer, in training and eval mode; moving statistics against
a NumPy reference; Dropout's mask against its own output (a random function has no
finite differences); the state-update mechanism (ops.assign) and its refusals.

Each compiled program is built once (module-scoped fixtures) and checked several ways."""
import numpy as np
import pytest

import s2sgrad as ms
from s2sgrad import nn, ops, Tensor, Parameter, ParameterTuple
from s2sgrad.errors import S2SGradError, ShapeError, UnsupportedSyntaxError, ResolveError
from s2sgrad.nn.normalization import _BatchNormTrain
from gradcheck import EPS

rng = np.random.default_rng(11)


def value_and_grads(cell, *args):
    """s2sgrad's (out, input grads, weight grads) with a random sens, and the sens."""
    weights = ParameterTuple(cell.trainable_params())
    fn = nn.ForwardValueAndGrad(cell, weights=weights, get_all=True, get_by_list=True, sens_param=True)
    return fn, weights


def fd_grads(cell, args, sens, weights):
    """Central differences of sum(sens * cell(*args)) (eager) w.r.t. every float input
    and every weight, in float64."""
    def loss():
        out = cell(*args)
        outs = out if isinstance(out, tuple) else (out,)
        return sum(float(np.sum(s * o.asnumpy())) for s, o in zip(sens, outs))

    def grad_of(arr):
        g = np.zeros_like(arr, dtype=np.float64)
        for idx in np.ndindex(arr.shape):
            old = arr[idx]
            arr[idx] = old + EPS
            plus = loss()
            arr[idx] = old - EPS
            minus = loss()
            arr[idx] = old
            g[idx] = (plus - minus) / (2 * EPS)
        return g
    inputs = [grad_of(a.asnumpy()) for a in args if np.issubdtype(a.asnumpy().dtype, np.floating)]
    return inputs, [grad_of(w.asnumpy()) for w in weights]


def check_cell(cell, *args, rtol=1e-6, atol=1e-7, fn=None):
    """Compiled value and gradients of `cell` against the eager cell and finite differences."""
    if fn is None:
        fn, _ = value_and_grads(cell, *args)
    weights = fn.weights
    expected = cell(*args)
    outs = expected if isinstance(expected, tuple) else (expected,)
    sens = [rng.standard_normal(o.shape) for o in outs]
    out, (gin, gw) = fn(*args, tuple(Tensor(s) for s in sens) if isinstance(expected, tuple) else Tensor(sens[0]))
    for got, want in zip(out if isinstance(out, tuple) else (out,), outs):
        np.testing.assert_allclose(got.asnumpy(), want.asnumpy(), rtol=1e-10, atol=1e-12)
    want_in, want_w = fd_grads(cell, args, sens, weights)
    floats = [g for a, g in zip(args, gin) if np.issubdtype(a.asnumpy().dtype, np.floating)]
    for got, want in zip(floats + list(gw), want_in + want_w):
        assert got.shape == want.shape
        np.testing.assert_allclose(got.asnumpy(), want, rtol=rtol, atol=atol)
    return out, gin, gw


def bn_reference(x, gamma, beta, mean, var, eps):
    shape = (1, -1) + (1,) * (x.ndim - 2)
    return (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps) * gamma.reshape(shape) + beta.reshape(shape)


def randomize(cell):
    for p in cell.get_parameters():
        p.set_data(Tensor(rng.uniform(0.5, 1.5, p.shape) if "var" in p.name else rng.standard_normal(p.shape)))
    return cell


# -- BatchNorm -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def bn2d():
    """One BatchNorm2d (float64) and its gradient function; tests switch its mode."""
    cell = randomize(nn.BatchNorm2d(3, dtype=ms.float64))
    fn, _ = value_and_grads(cell)
    return cell, fn


def test_batchnorm2d_training_gradients_and_moving_statistics(bn2d):
    cell, fn = bn2d
    cell.set_train(True)
    moving = [cell.moving_mean.asnumpy().copy(), cell.moving_variance.asnumpy().copy()]
    xs = [rng.standard_normal((4, 3, 2, 3)) * 2 + 1 for _ in range(3)]
    for x in xs:                                       # N steps of the compiled program
        out, _ = fn(Tensor(x), Tensor(np.ones(x.shape)))
        mu, var = x.mean(axis=(0, 2, 3)), x.var(axis=(0, 2, 3))      # biased, as MindSpore's CPU kernel
        np.testing.assert_allclose(out.asnumpy(), bn_reference(x, cell.gamma.asnumpy(), cell.beta.asnumpy(),
                                                               mu, var, 1e-5), rtol=1e-10, atol=1e-12)
        moving = [0.9 * moving[0] + 0.1 * mu, 0.9 * moving[1] + 0.1 * var]
        np.testing.assert_allclose(cell.moving_mean.asnumpy(), moving[0], rtol=1e-12)
        np.testing.assert_allclose(cell.moving_variance.asnumpy(), moving[1], rtol=1e-12)
    assert not cell.moving_mean.requires_grad and [p.name for p in cell.trainable_params()] == ["gamma", "beta"]
    check_cell(cell, Tensor(xs[0]), fn=fn)             # x, gamma, beta against finite differences


def test_batchnorm2d_eval_uses_moving_statistics_and_leaves_them(bn2d):
    cell, fn = bn2d
    cell.set_train(False)
    before = cell.moving_mean.asnumpy().copy(), cell.moving_variance.asnumpy().copy()
    x = rng.standard_normal((2, 3, 2, 2))
    out, _, _ = check_cell(cell, Tensor(x), fn=fn)
    np.testing.assert_allclose(out.asnumpy(), bn_reference(x, cell.gamma.asnumpy(), cell.beta.asnumpy(), *before,
                                                           1e-5), rtol=1e-10)
    np.testing.assert_array_equal(cell.moving_mean.asnumpy(), before[0])
    np.testing.assert_array_equal(cell.moving_variance.asnumpy(), before[1])
    assert "batch_norm_infer" in ms.source(fn) and "batch_norm_train" not in ms.source(fn)
    cell.set_train(True)                               # the same GradFunction re-specialises per mode
    fn(Tensor(x), Tensor(np.ones(x.shape)))
    assert "batch_norm_train" in ms.source(fn)
    assert not np.array_equal(cell.moving_mean.asnumpy(), before[0])


def test_batchnorm1d_2d_and_3d_inputs_and_use_batch_statistics():
    cell = randomize(nn.BatchNorm1d(4, momentum=0.7, use_batch_statistics=True, dtype=ms.float64))
    assert not cell.training                           # batch statistics although not training
    x = rng.standard_normal((5, 4))
    moving = cell.moving_mean.asnumpy().copy(), cell.moving_variance.asnumpy().copy()
    fn, _ = value_and_grads(cell)
    fn(Tensor(x), Tensor(np.ones(x.shape)))
    np.testing.assert_allclose(cell.moving_mean.asnumpy(), 0.7 * moving[0] + 0.3 * x.mean(0), rtol=1e-12)
    np.testing.assert_allclose(cell.moving_variance.asnumpy(), 0.7 * moving[1] + 0.3 * x.var(0), rtol=1e-12)
    check_cell(cell, Tensor(x), fn=fn)
    x3 = rng.standard_normal((2, 4, 3))                # [N, C, L]
    check_cell(cell, Tensor(x3), fn=fn)
    with pytest.raises(ShapeError, match="must have 2 or 3 dimensions"):
        fn(Tensor(rng.standard_normal((2, 4, 2, 2))), Tensor(np.ones((2, 4, 2, 2))))
    with pytest.raises(ValueError, match="must have 4 dimensions"):
        nn.BatchNorm2d(4)(Tensor(np.ones((2, 4), np.float32)))


class BatchStats(nn.Cell):
    """Uses the batch mean and variance outputs too: their adjoints must be exact."""

    def __init__(self):
        super().__init__()
        self.bn = _BatchNormTrain(eps=1e-3, ranks=(3,))
        self.gamma = Parameter(Tensor(rng.standard_normal(3)), name="g")
        self.beta = Parameter(Tensor(rng.standard_normal(3)), name="b")

    def construct(self, x):
        y, mean, var = self.bn(x, self.gamma, self.beta)
        return y * 2.0, mean * var


def test_batchnorm_mean_and_variance_outputs_are_differentiable():
    check_cell(BatchStats(), Tensor(rng.standard_normal((3, 3, 2))))


def test_batchnorm_arguments():
    with pytest.raises(ValueError, match="num_features"):
        nn.BatchNorm2d(0)
    with pytest.raises(ValueError, match="momentum"):
        nn.BatchNorm1d(3, momentum=1.5)
    bn = nn.BatchNorm2d(2, affine=False)
    assert bn.trainable_params() == [] and bn.gamma.name == "gamma" and bn.moving_variance.name == "variance"
    assert np.array_equal(bn.moving_variance.asnumpy(), np.ones(2, np.float32))
    assert bn.gamma.asnumpy().dtype == np.float32


# -- LayerNorm ----------------------------------------------------------------------------

def test_layernorm_last_axis_training_and_eval():
    cell = randomize(nn.LayerNorm((4,), dtype=ms.float64))
    x = rng.standard_normal((2, 3, 4))
    fn, _ = value_and_grads(cell)
    for mode in (True, False):                          # the same computation in both modes
        cell.set_train(mode)
        out, _, _ = check_cell(cell, Tensor(x), fn=fn)
    mu, var = x.mean(-1, keepdims=True), x.var(-1, keepdims=True)
    np.testing.assert_allclose(out.asnumpy(), (x - mu) / np.sqrt(var + 1e-7) * cell.gamma.asnumpy()
                               + cell.beta.asnumpy(), rtol=1e-10)


def test_layernorm_begin_norm_axis_before_params():
    """Normalise over axes 1.. while gamma/beta cover the last axis only (MindSpore's op)."""
    cell = randomize(nn.LayerNorm((4,), begin_norm_axis=1, begin_params_axis=-1, epsilon=1e-5, dtype=ms.float64))
    x = rng.standard_normal((2, 3, 4))
    out, _, _ = check_cell(cell, Tensor(x))
    mu, var = x.mean((1, 2), keepdims=True), x.var((1, 2), keepdims=True)
    np.testing.assert_allclose(out.asnumpy(), (x - mu) / np.sqrt(var + 1e-5) * cell.gamma.asnumpy()
                               + cell.beta.asnumpy(), rtol=1e-10)


class LayerNormStats(nn.Cell):
    """ops.LayerNorm's three outputs, all used."""

    def __init__(self):
        super().__init__()
        self.ln = ops.LayerNorm(begin_norm_axis=1, begin_params_axis=2, epsilon=1e-3)
        self.gamma = Parameter(Tensor(rng.standard_normal(2)), name="g")
        self.beta = Parameter(Tensor(rng.standard_normal(2)), name="b")

    def construct(self, x):
        y, mean, var = self.ln(x, self.gamma, self.beta)
        return y, mean * var


def test_layernorm_primitive_outputs():
    out, _, _ = check_cell(LayerNormStats(), Tensor(rng.standard_normal((2, 3, 2))))
    assert out[1].shape == (2, 1, 1)


# -- Embedding ----------------------------------------------------------------------------

def test_embedding_gather_forward_scatter_add_backward():
    cell = nn.Embedding(5, 3, dtype=ms.float64, padding_idx=0)
    assert np.array_equal(cell.embedding_table.asnumpy()[0], np.zeros(3))
    randomize(cell)
    ids = Tensor(np.array([[1, 4, 1], [7, 0, -1]], np.int32))      # repeats and out-of-range ids
    out, _, (d_table,) = check_cell(cell, ids)
    table = cell.embedding_table.asnumpy()
    want = np.where((ids.asnumpy() >= 0)[..., None] & (ids.asnumpy() < 5)[..., None],
                    table[np.clip(ids.asnumpy(), 0, 4)], 0.0)
    np.testing.assert_array_equal(out.asnumpy(), want)
    assert out.shape == (2, 3, 3)
    with pytest.raises(TypeError, match="use_one_hot"):
        nn.Embedding(5, 3, use_one_hot=1)


# -- activations -------------------------------------------------------------------------

class Activations(nn.Cell):
    def __init__(self):
        super().__init__()
        self.acts = nn.CellList([nn.GELU(), nn.GELU(approximate=False), nn.Softmax(), nn.Softmax(axis=(0, 1)),
                                 nn.LogSoftmax(), nn.LogSoftmax(axis=0), nn.LeakyReLU(), nn.LeakyReLU(alpha=1.5)])

    def construct(self, x):
        a = self.acts
        return a[0](x), a[1](x), a[2](x), a[3](x), a[4](x), a[5](x), a[6](x), a[7](x)


def test_activations_values_and_gradients():
    from scipy.special import erf
    x = np.array([[-1.5, 0.0, 0.7], [2.1, -0.3, 1.2]])     # 0.0: LeakyReLU's tie, split 0.5/0.5
    cell = Activations()
    fn, _ = value_and_grads(cell)
    out, _, _ = check_cell(cell, Tensor(x), fn=fn)
    assert "state" not in ms.source(fn)           # only a program that assigns has the state result

    def softmax(v, axis):
        e = np.exp(v - v.max(axis, keepdims=True))
        return e / e.sum(axis, keepdims=True)
    want = [0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3))), 0.5 * x * (1 + erf(x / np.sqrt(2))),
            softmax(x, -1), softmax(x, (0, 1)), np.log(softmax(x, -1)), np.log(softmax(x, 0)),
            np.maximum(0.2 * x, x), np.minimum(1.5 * x, x)]
    for got, w in zip(out, want):
        np.testing.assert_allclose(got.asnumpy(), w, rtol=1e-12, atol=1e-14)
    assert isinstance(nn.get_activation("gelu"), nn.GELU) and isinstance(nn.get_activation("leakyrelu"),
                                                                         nn.LeakyReLU)
    assert isinstance(nn.Dense(2, 2, activation="softmax").activation, nn.Softmax)


# -- Dropout ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def dropout():
    cell = nn.Dropout(p=0.25)
    return cell, nn.ForwardValueAndGrad(cell, get_all=True, sens_param=True)


def test_dropout_mask_scaling_and_backward(dropout):
    cell, fn = dropout
    cell.set_train(True)
    x = rng.uniform(0.5, 1.5, (40, 50)).astype(np.float32)         # no zeros: the mask is where out != 0
    sens = rng.standard_normal(x.shape).astype(np.float32)
    ms.set_seed(5)
    out, (dx,) = fn(Tensor(x), Tensor(sens))
    mask = out.asnumpy() != 0
    np.testing.assert_allclose(out.asnumpy(), np.where(mask, x / np.float32(0.75), 0), rtol=1e-6)
    np.testing.assert_allclose(dx.asnumpy(), np.where(mask, sens / np.float32(0.75), 0), rtol=1e-6)
    assert abs(mask.mean() - 0.75) < 0.03                          # keep rate 1 - p
    assert abs(out.asnumpy().mean() / x.mean() - 1) < 0.05         # the 1/keep_prob scaling keeps the mean
    again, _ = fn(Tensor(x), Tensor(sens))
    assert not np.array_equal(again.asnumpy() != 0, mask)          # a new mask per call
    ms.set_seed(5)
    repeat, _ = fn(Tensor(x), Tensor(sens))
    np.testing.assert_array_equal(repeat.asnumpy(), out.asnumpy())  # reproducible
    ms.set_seed(5)
    np.testing.assert_array_equal(cell(Tensor(x)).asnumpy(), out.asnumpy())   # eager draws the same mask
    assert ms.get_seed() == 5


def test_dropout_is_identity_when_not_training(dropout):
    cell, fn = dropout
    cell.set_train(False)
    x = rng.standard_normal((3, 4)).astype(np.float32)
    sens = rng.standard_normal(x.shape).astype(np.float32)
    out, (dx,) = fn(Tensor(x), Tensor(sens))
    np.testing.assert_array_equal(out.asnumpy(), x)
    np.testing.assert_array_equal(dx.asnumpy(), sens)
    np.testing.assert_array_equal(cell(Tensor(x)).asnumpy(), x)
    keep_all = nn.Dropout(p=0.0).set_train()
    np.testing.assert_array_equal(keep_all(Tensor(x)).asnumpy(), x)


def test_dropout_and_seed_arguments():
    assert nn.Dropout(keep_prob=0.8).keep_prob == 0.8 and repr(nn.Dropout(keep_prob=0.8)) == "Dropout<keep_prob=0.8>"
    assert nn.Dropout(keep_prob=0.8, p=0.1).keep_prob == 0.9        # p takes precedence
    with pytest.raises(ValueError, match="keep_prob"):
        nn.Dropout(keep_prob=0.0)
    with pytest.raises(ValueError, match="'p'"):
        nn.Dropout(p=1)
    with pytest.raises(TypeError, match="'p'"):
        nn.Dropout(p="0.5")
    with pytest.raises(ValueError):
        ms.set_seed(-1)
    with pytest.raises(TypeError):
        ms.set_seed(1.5)


# -- ops.assign: the state-update mechanism -------------------------------------------------

class Counter(nn.Cell):
    def __init__(self, where="top"):
        super().__init__()
        self.w = Parameter(Tensor(np.ones(3)), name="w")
        self.count = Parameter(Tensor(np.zeros(3)), name="count", requires_grad=False)
        self.where = where

    def construct(self, x):
        if self.where == "branch":
            if x.sum() > 0:
                ops.assign(self.count, self.count + 1.0)
        elif self.where == "input":
            ops.assign(x, x * 2.0)
        elif self.where == "shape":
            ops.assign(self.count, x.sum())
        else:
            ops.assign(self.count, self.count + x)
            ops.assign(self.count, self.count * 2.0)      # chains: reads see the first assignment
        return (x * self.w * self.count).sum()


def test_assign_updates_after_each_call_and_chains():
    cell = Counter()
    fn = nn.ForwardValueAndGrad(cell, weights=ParameterTuple([cell.w]), get_by_list=True)
    x = np.array([1.0, 2.0, 3.0])
    view = cell.count.asnumpy()
    loss, (dw,) = fn(Tensor(x))
    np.testing.assert_allclose(cell.count.asnumpy(), 2 * x)        # (0 + x) * 2
    assert cell.count.asnumpy() is view                            # written in place
    np.testing.assert_allclose(loss.asnumpy(), (x * 2 * x).sum())  # the program read the new value
    np.testing.assert_allclose(dw.asnumpy(), x * 2 * x)
    fn(Tensor(x))
    np.testing.assert_allclose(cell.count.asnumpy(), (2 * x + x) * 2)


@pytest.mark.parametrize("where, error, message", [
    ("branch", UnsupportedSyntaxError, "inside a runtime"),
    ("input", ResolveError, "writes into a Parameter"),
    ("shape", ShapeError, "has shape \\[3\\]"),
])
def test_assign_refusals(where, error, message):
    cell = Counter(where)
    with pytest.raises(error, match=message) as info:
        nn.ForwardValueAndGrad(cell)(Tensor(np.ones(3)))
    assert "test_norm_layers.py" in str(info.value)
    with pytest.raises(TypeError):
        ops.assign(Tensor(np.ones(3)), Tensor(np.ones(3)))

