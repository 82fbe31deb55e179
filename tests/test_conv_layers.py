"""Convolution, pooling, Flatten, N-d Dense and the initializers.

Forward values are checked against naive NumPy loops written here; every new
primitive's adjoint (the backward primitives' too) against float64 central finite
differences; MindSpore's LeNet5, written as its tutorial writes it, against finite
differences of an independent float64 NumPy LeNet, and a few SGD steps must lower
its loss. Numba compiles four programs in all: the LeNet one is shared by its tests.
"""
import math

import numpy as np
import pytest

import s2sgrad as ms
from s2sgrad import nn, ops, Tensor, ParameterTuple
from s2sgrad.common.initializer import (Constant, HeNormal, HeUniform, Normal, One, TruncatedNormal, Uniform,
                                        XavierUniform, Zero, initializer)
from s2sgrad.errors import S2SGradError, ShapeError
from s2sgrad.surface import spec
from s2sgrad.tensor import apply_op
from gradcheck import check_grads

rng = np.random.default_rng(11)


def distinct(*shape):
    """Values 0.1 apart in random order: no ties inside pooling windows."""
    n = int(np.prod(shape))
    return ((rng.permutation(n) - n // 2) * 0.1 + 0.05).reshape(shape)


def primitive_fn(name, *params):
    """A functional form for a primitive users never call directly."""
    op = spec(name, *params)

    def fn(*args, **kwargs):
        return apply_op(op, args, kwargs, name)
    fn._s2s_spec = op
    return fn


# -- naive references -------------------------------------------------------------

def pads_of(pad_mode, in_hw, kernel, stride, dilation, pad=(0, 0, 0, 0)):
    """(top, bottom, left, right) for MindSpore's pad modes, worked out independently."""
    if pad_mode == "valid":
        return (0, 0, 0, 0)
    if pad_mode == "pad":
        return pad
    out = []
    for n, k, s, d in zip(in_hw, kernel, stride, dilation):
        o = math.ceil(n / s)
        total = max(0, (o - 1) * s + (k - 1) * d + 1 - n)
        out += [total // 2, total - total // 2]
    return tuple(out)


def ref_conv2d(x, w, stride, dilation, pads):
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), pads[:2], pads[2:]))
    oh = (h + pads[0] + pads[1] - (kh - 1) * dilation[0] - 1) // stride[0] + 1
    ow = (wd + pads[2] + pads[3] - (kw - 1) * dilation[1] - 1) // stride[1] + 1
    out = np.zeros((n, o, oh, ow))
    for i in range(oh):
        for j in range(ow):
            for a in range(kh):
                for b in range(kw):
                    patch = xp[:, :, i * stride[0] + a * dilation[0], j * stride[1] + b * dilation[1]]
                    out[:, :, i, j] += patch @ w[:, :, a, b].T
    return out


def ref_pool(x, kernel, stride, pads, kind, count_include_pad=False, divisor=0):
    n, c, h, w = x.shape
    oh = (h + pads[0] + pads[1] - kernel[0]) // stride[0] + 1
    ow = (w + pads[2] + pads[3] - kernel[1]) // stride[1] + 1
    out = np.zeros((n, c, oh, ow))
    for i in range(oh):
        for j in range(ow):
            r0, c0 = i * stride[0] - pads[0], j * stride[1] - pads[2]
            win = x[:, :, max(r0, 0):r0 + kernel[0], max(c0, 0):c0 + kernel[1]]
            if kind == "max":
                out[:, :, i, j] = win.max(axis=(2, 3))
            else:
                count = divisor or (kernel[0] * kernel[1] if count_include_pad else win.shape[2] * win.shape[3])
                out[:, :, i, j] = win.sum(axis=(2, 3)) / count
    return out


# -- forward values: every pad mode with strides and dilations (eager, no compiling) --

CONV_CASES = [  # (x shape, w shape, pad_mode, stride, dilation, pad)
    ((2, 3, 7, 6), (4, 3, 3, 2), "valid", 1, 1, 0),
    ((1, 2, 7, 8), (3, 2, 3, 3), "valid", (2, 1), (1, 2), 0),
    ((2, 2, 7, 6), (2, 2, 3, 2), "same", 1, 1, 0),
    ((1, 3, 8, 7), (2, 3, 3, 4), "same", 2, (2, 1), 0),
    ((1, 2, 9, 6), (3, 2, 2, 3), "same", (3, 2), 1, 0),
    ((2, 1, 5, 6), (2, 1, 3, 3), "pad", 2, 1, 1),
    ((1, 2, 6, 5), (2, 2, 2, 3), "pad", (1, 2), (2, 1), (1, 0, 2, 1)),
]


@pytest.mark.parametrize("xs,ws,pad_mode,stride,dilation,pad", CONV_CASES)
def test_conv2d_forward_matches_naive_loops(xs, ws, pad_mode, stride, dilation, pad):
    x, w = rng.standard_normal(xs).astype(np.float32), rng.standard_normal(ws).astype(np.float32)
    conv = ops.Conv2D(ws[0], ws[2:], pad_mode=pad_mode, pad=pad, stride=stride, dilation=dilation)
    pair = lambda v: (v, v) if isinstance(v, int) else v
    pads = pads_of(pad_mode, xs[2:], ws[2:], pair(stride), pair(dilation),
                   (pad,) * 4 if isinstance(pad, int) else pad)
    got = conv(Tensor(x), Tensor(w))
    assert got.dtype == ms.float32
    want = ref_conv2d(x.astype(np.float64), w.astype(np.float64), pair(stride), pair(dilation), pads)
    np.testing.assert_allclose(got.asnumpy(), want, rtol=1e-5, atol=1e-5)
    if pad_mode == "same" and pair(stride) == (1, 1):
        assert got.shape[2:] == xs[2:]


@pytest.mark.parametrize("kernel,stride,pad_mode", [(2, 2, "valid"), (3, 1, "valid"), ((3, 2), (2, 1), "valid"),
                                                     (3, 2, "same"), (2, 3, "same"), ((2, 3), 1, "SAME")])
def test_pool_forward_matches_naive_loops(kernel, stride, pad_mode):
    x = distinct(2, 3, 7, 8)
    pair = lambda v: (v, v) if isinstance(v, int) else v
    pads = pads_of(pad_mode.lower(), x.shape[2:], pair(kernel), pair(stride), (1, 1))
    got_max = ops.MaxPool(kernel, stride, pad_mode)(Tensor(x)).asnumpy()
    np.testing.assert_allclose(got_max, ref_pool(x, pair(kernel), pair(stride), pads, "max"))
    got_avg = ops.AvgPool(kernel, stride, pad_mode)(Tensor(x)).asnumpy()
    # MindSpore's AvgPool under "same" divides by the input elements each window covers.
    np.testing.assert_allclose(got_avg, ref_pool(x, pair(kernel), pair(stride), pads, "avg"), rtol=1e-12)


def test_pool_layers_explicit_padding_and_divisors():
    x = distinct(1, 2, 6, 7)
    got = nn.MaxPool2d(3, 2, pad_mode="pad", padding=1)(Tensor(x)).asnumpy()
    np.testing.assert_allclose(got, ref_pool(x, (3, 3), (2, 2), (1, 1, 1, 1), "max"))
    got = nn.AvgPool2d(3, 2, pad_mode="pad", padding=(1, 0))(Tensor(x)).asnumpy()
    np.testing.assert_allclose(got, ref_pool(x, (3, 3), (2, 2), (1, 1, 0, 0), "avg", count_include_pad=True))
    got = nn.AvgPool2d(3, 1, pad_mode="pad", padding=1, count_include_pad=False)(Tensor(x)).asnumpy()
    np.testing.assert_allclose(got, ref_pool(x, (3, 3), (1, 1), (1, 1, 1, 1), "avg"))
    got = nn.AvgPool2d(2, 2, divisor_override=3)(Tensor(x)).asnumpy()
    np.testing.assert_allclose(got, ref_pool(x, (2, 2), (2, 2), (0, 0, 0, 0), "avg", divisor=3))
    got = ops.avg_pool2d(Tensor(x), 2, 1, padding=1).asnumpy()
    np.testing.assert_allclose(got, ref_pool(x, (2, 2), (1, 1), (1, 1, 1, 1), "avg", count_include_pad=True))
    got = ops.max_pool2d(Tensor(x), 3, padding=(1, 0)).asnumpy()          # stride defaults to the kernel
    np.testing.assert_allclose(got, ref_pool(x, (3, 3), (3, 3), (1, 1, 0, 0), "max"))


def test_flatten_and_dense_on_nd_input():
    x = rng.standard_normal((2, 3, 4, 5))
    assert ops.Flatten()(Tensor(x)).shape == (2, 60)
    assert ops.flatten(Tensor(x), start_dim=2).shape == (2, 3, 20)
    assert nn.Flatten(0, 1)(Tensor(x)).shape == (6, 4, 5)
    dense = nn.Dense(5, 3, dtype=ms.float64)
    out = dense(Tensor(x)).asnumpy()
    want = x @ dense.weight.asnumpy().T + dense.bias.asnumpy()
    assert out.shape == (2, 3, 4, 3)
    np.testing.assert_allclose(out, want, rtol=1e-12)
    with pytest.raises(Exception, match="dimension of input should not be less than 2"):
        dense(Tensor(np.ones(5)))


# -- adjoints against finite differences (three compiled programs) -------------------

conv_valid = ops.Conv2D(3, (3, 2), stride=(2, 1), dilation=(1, 2))
conv_same = ops.Conv2D(3, (3, 2), pad_mode="same", stride=2)
conv_pad = ops.Conv2D(3, (3, 2), pad_mode="pad", pad=(1, 0, 2, 1))
dense_nd = nn.Dense(4, 2, dtype=ms.float64)


def f_conv_and_reshapes(x, w, v):
    """Conv2D in its pad modes with stride and dilation, ops.conv2d, the flattens, N-d Dense."""
    return (conv_valid(x, w), conv_same(x, w), conv_pad(x, w), ops.conv2d(x, w, padding=1, dilation=(2, 1)),
            ops.Flatten()(x) * 2.0, ops.flatten(x, start_dim=2), dense_nd(v))


POOLS = (ops.MaxPool(2, 2), ops.MaxPool((3, 2), (2, 1), "same"), nn.MaxPool2d(3, 2, pad_mode="pad", padding=1),
         ops.AvgPool(2, 2), ops.AvgPool(3, 2, "same"), nn.AvgPool2d(3, 1, pad_mode="pad", padding=(1, 0)),
         nn.AvgPool2d(3, 2, pad_mode="pad", padding=1, count_include_pad=False), nn.AvgPool2d(2, 1, divisor_override=3))


def f_pools(x):
    max1, max2, max3, avg1, avg2, avg3, avg4, avg5 = POOLS
    return max1(x), max2(x), max3(x), avg1(x), avg2(x), avg3(x), avg4(x), avg5(x)


backprop_input = primitive_fn("conv2d_backprop_input", "stride", "dilation", "pad")
backprop_filter = primitive_fn("conv2d_backprop_filter", "stride", "dilation", "pad")
max_pool2d_grad = primitive_fn("max_pool2d_grad")
max_pool2d_gather = primitive_fn("max_pool2d_gather")
avg_pool2d_grad = primitive_fn("avg_pool2d_grad", "kernel_size", "strides", "pad", "count_include_pad",
                               "divisor_override")


def f_backward_primitives(g, w, x, gp, argmax, h):
    """The backward primitives are linear in their gradient operand; their adjoints are
    the other primitives of the set (second derivatives of conv and pooling)."""
    return (backprop_input(g, w, x, (2, 1), (1, 2), None), backprop_filter(g, x, w, (2, 1), (1, 2), None),
            max_pool2d_grad(gp, argmax, h), max_pool2d_gather(h, argmax),
            avg_pool2d_grad(gp, h, (2, 2), (2, 2), None, False, 0))


def test_conv_flatten_dense_gradients():
    check_grads(f_conv_and_reshapes, rng.standard_normal((2, 2, 7, 6)), rng.standard_normal((3, 2, 3, 2)),
                rng.standard_normal((2, 3, 4)))


def test_pool_gradients():
    check_grads(f_pools, distinct(2, 2, 7, 6))


def test_backward_primitive_gradients():
    x, w, h = rng.standard_normal((2, 2, 7, 6)), rng.standard_normal((3, 2, 3, 2)), rng.standard_normal((1, 2, 5, 6))
    g = rng.standard_normal((2, 3, 4, 6))         # the "same" output of x with stride (2, 1)
    _, argmax = apply_op(spec("max_pool2d", "kernel_size", "strides", "pad"), (Tensor(h), (2, 2), (2, 2), None))
    gp = rng.standard_normal(argmax.shape)
    check_grads(f_backward_primitives, g, w, x, gp, argmax, h)


# -- MindSpore's LeNet5, written as its tutorial writes it ---------------------------

from s2sgrad.common.initializer import Normal as _Normal  # noqa: E402  (the tutorial's import)


class LeNet5(nn.Cell):
    def __init__(self, num_class=10, num_channel=1, include_top=True):
        super(LeNet5, self).__init__()
        self.conv1 = nn.Conv2d(num_channel, 6, 5, pad_mode='valid')
        self.conv2 = nn.Conv2d(6, 16, 5, pad_mode='valid')
        self.relu = nn.ReLU()
        self.max_pool2d = nn.MaxPool2d(kernel_size=2, stride=2)
        self.include_top = include_top
        if self.include_top:
            self.flatten = nn.Flatten()
            self.fc1 = nn.Dense(16 * 5 * 5, 120, weight_init=_Normal(0.02))
            self.fc2 = nn.Dense(120, 84, weight_init=_Normal(0.02))
            self.fc3 = nn.Dense(84, num_class, weight_init=_Normal(0.02))

    def construct(self, x):
        x = self.conv1(x)
        x = self.relu(x)
        x = self.max_pool2d(x)
        x = self.conv2(x)
        x = self.relu(x)
        x = self.max_pool2d(x)
        if not self.include_top:
            return x
        x = self.flatten(x)
        x = self.relu(self.fc1(x))
        x = self.relu(self.fc2(x))
        x = self.fc3(x)
        return x


def numpy_lenet_loss(p, x, labels):
    """LeNet5 and the mean sparse cross-entropy in float64 NumPy, from the references above."""
    relu = lambda a: np.maximum(a, 0.0)
    h = ref_pool(relu(ref_conv2d(x, p["conv1.weight"], (1, 1), (1, 1), (0,) * 4)), (2, 2), (2, 2), (0,) * 4, "max")
    h = ref_pool(relu(ref_conv2d(h, p["conv2.weight"], (1, 1), (1, 1), (0,) * 4)), (2, 2), (2, 2), (0,) * 4, "max")
    h = h.reshape(len(x), -1)
    h = relu(h @ p["fc1.weight"].T + p["fc1.bias"])
    h = relu(h @ p["fc2.weight"].T + p["fc2.bias"])
    logits = h @ p["fc3.weight"].T + p["fc3.bias"]
    logits = logits - logits.max(axis=1, keepdims=True)
    logp = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    return -logp[np.arange(len(x)), labels].mean()


@pytest.fixture(scope="module")
def lenet():
    """One LeNet5 training program at batch 32 on 1x32x32, compiled once for this module."""
    np.random.seed(5)
    net = LeNet5()
    loss = nn.WithLossCell(net, nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean"))
    params = ParameterTuple(loss.trainable_params())
    train = nn.ForwardValueAndGrad(loss, weights=params, get_by_list=True)
    data = np.random.default_rng(3).random((32, 1, 32, 32)).astype(np.float32)
    labels = np.random.default_rng(4).integers(0, 10, 32).astype(np.int32)
    return net, params, train, data, labels


def test_lenet_parameters_follow_mindspore(lenet):
    net, params, _, _, _ = lenet
    assert [p.name for p in params] == ["conv1.weight", "conv2.weight", "fc1.weight", "fc1.bias", "fc2.weight",
                                        "fc2.bias", "fc3.weight", "fc3.bias"]
    assert [p.shape for p in params] == [(6, 1, 5, 5), (16, 6, 5, 5), (120, 400), (120,), (84, 120), (84,),
                                         (10, 84), (10,)]
    assert all(p.dtype == ms.float32 for p in params)
    # Conv2d's default HeUniform(sqrt(5)) over fan_in = in * kh * kw: bound 1 / sqrt(fan_in).
    assert np.abs(net.conv1.weight.asnumpy()).max() <= 1 / math.sqrt(25)
    assert np.abs(net.conv2.weight.asnumpy()).max() <= 1 / math.sqrt(150)
    assert np.abs(net.conv2.weight.asnumpy()).max() > 0.9 / math.sqrt(150)
    assert repr(net.max_pool2d) == "MaxPool2d<kernel_size=2, stride=2, pad_mode=VALID>"
    assert repr(net.conv1).startswith("Conv2d<input_channels=1, output_channels=6, kernel_size=(5, 5), "
                                      "stride=(1, 1), pad_mode=valid, padding=0, dilation=(1, 1), group=1, "
                                      "has_bias=False, weight_init=")


def test_lenet_gradients_match_finite_differences(lenet):
    _, params, train, data, labels = lenet
    loss, grads = train(Tensor(data), Tensor(labels))
    values = {p.name: p.asnumpy().astype(np.float64) for p in params}
    x64 = data.astype(np.float64)
    assert float(loss.asnumpy()) == pytest.approx(numpy_lenet_loss(values, x64, labels), rel=1e-5)
    pick = np.random.default_rng(8)
    for p, g in zip(params, grads):
        assert g.shape == p.shape and g.dtype == ms.float32
        for _ in range(3):
            idx = tuple(pick.integers(0, s) for s in p.shape)
            plus, minus = dict(values), dict(values)
            plus[p.name], minus[p.name] = values[p.name].copy(), values[p.name].copy()
            plus[p.name][idx] += 1e-5
            minus[p.name][idx] -= 1e-5
            fd = (numpy_lenet_loss(plus, x64, labels) - numpy_lenet_loss(minus, x64, labels)) / 2e-5
            assert g.asnumpy()[idx] == pytest.approx(fd, rel=2e-3, abs=2e-6), (p.name, idx)


def test_lenet_sgd_steps_lower_the_loss(lenet):
    _, params, train, data, labels = lenet
    start = [p.asnumpy().copy() for p in params]
    losses = []
    for _ in range(8):
        loss, grads = train(Tensor(data), Tensor(labels))
        losses.append(float(loss.asnumpy()))
        for p, g in zip(params, grads):
            p.set_data(Tensor(p.asnumpy() - 0.3 * g.asnumpy()))
    for p, value in zip(params, start):           # later tests see the initial weights
        p.set_data(Tensor(value))
    assert losses[-1] < losses[0] - 0.03
    assert all(b < a for a, b in zip(losses, losses[1:]))


# -- errors ------------------------------------------------------------------------

def f_wrong_channels(x, w):
    return conv_valid(x, w)


def test_conv_shape_mismatch_is_a_shape_error():
    grad = nn.ForwardValueAndGrad(f_wrong_channels, get_all=True)
    with pytest.raises(ShapeError, match="expects 2 input channels, but the input .* has 3"):
        grad(Tensor(np.ones((1, 3, 8, 8))), Tensor(np.ones((3, 2, 3, 2))))
    with pytest.raises(ShapeError, match="does not fit the input"):
        grad(Tensor(np.ones((1, 2, 2, 8))), Tensor(np.ones((3, 2, 3, 2))))


def test_unsupported_and_invalid_arguments():
    with pytest.raises(S2SGradError) as info:
        nn.Conv2d(4, 4, 3, group=2)
    assert "test_conv_layers.py" in str(info.value) and "group=2" in str(info.value)
    with pytest.raises(ValueError, match="'pad' must be zero when 'pad_mode' is not 'pad'"):
        nn.Conv2d(1, 2, 3, pad_mode="valid", padding=1)
    with pytest.raises(ValueError, match="pad_mode"):
        nn.Conv2d(1, 2, 3, pad_mode="full")
    with pytest.raises(ValueError, match="pad_mode"):
        nn.MaxPool2d(2, 2, pad_mode="full")
    with pytest.raises(ValueError, match="can not be set to non-default value"):
        nn.MaxPool2d(2, 2, padding=1)
    with pytest.raises(S2SGradError, match="ceil_mode"):
        nn.AvgPool2d(2, 2, pad_mode="pad", ceil_mode=True)
    with pytest.raises(S2SGradError, match="NHWC"):
        ops.MaxPool(2, 2, data_format="NHWC")
    with pytest.raises(Exception, match="padding"):
        nn.MaxPool2d(2, 1, pad_mode="pad", padding=2)(Tensor(np.ones((1, 1, 4, 4))))


def test_conv2d_layer_defaults():
    np.random.seed(2)
    conv = nn.Conv2d(3, 8, 3, has_bias=True)                      # pad_mode "same" by default
    assert conv(Tensor(np.ones((2, 3, 9, 7), np.float32))).shape == (2, 8, 9, 7)
    assert conv.bias.shape == (8,) and np.abs(conv.bias.asnumpy()).max() <= 1 / math.sqrt(27)
    assert isinstance(conv.bias_init, Uniform) and conv.bias_init.scale == pytest.approx(1 / math.sqrt(27))
    assert nn.Conv2d(3, 8, (3, 1), stride=2).weight.shape == (8, 3, 3, 1)
    assert nn.Conv2d(3, 8, 3).bias is None
    w = Tensor(np.full((2, 1, 2, 2), 0.5, np.float32))
    conv = nn.Conv2d(1, 2, 2, pad_mode="valid", weight_init=w)
    np.testing.assert_allclose(conv(Tensor(np.ones((1, 1, 3, 3), np.float32))).asnumpy(), np.full((1, 2, 2, 2), 2.0))


# -- initializers --------------------------------------------------------------------

def test_initializers_shapes_dtypes_and_bounds():
    np.random.seed(0)
    t = initializer(HeUniform(math.sqrt(5)), [64, 16, 5, 5], ms.float32)
    assert t.shape == (64, 16, 5, 5) and t.dtype == ms.float32
    bound = 1 / math.sqrt(16 * 25)                               # gain sqrt(2/6), fan_in = in * kh * kw
    assert np.abs(t.asnumpy()).max() <= bound and np.abs(t.asnumpy()).max() > 0.98 * bound
    t = initializer("he_uniform", [200, 50], ms.float64)         # negative_slope 0: sqrt(6 / fan_in)
    assert t.dtype == ms.float64 and np.abs(t.asnumpy()).max() <= math.sqrt(6 / 50)
    t = initializer(HeUniform(mode="fan_out", nonlinearity="relu"), [30, 40, 3, 3]).asnumpy()
    assert np.abs(t).max() <= math.sqrt(6 / (30 * 9)) and np.abs(t).max() > 0.98 * math.sqrt(6 / (30 * 9))
    t = initializer(HeNormal(), [400, 100]).asnumpy()
    assert t.std() == pytest.approx(math.sqrt(2 / 100), rel=0.03)
    t = initializer(XavierUniform(gain=2), [30, 20, 2, 2]).asnumpy()
    xb = 2 * math.sqrt(6 / (20 * 4 + 30 * 4))
    assert np.abs(t).max() <= xb and np.abs(t).max() > 0.97 * xb
    t = initializer(Normal(0.02, mean=1.0), [300, 100]).asnumpy()
    assert t.mean() == pytest.approx(1.0, abs=1e-3) and t.std() == pytest.approx(0.02, rel=0.03)
    assert initializer("normal", (1000, 30)).asnumpy().std() == pytest.approx(0.01, rel=0.03)
    t = initializer("Uniform", [100, 100]).asnumpy()
    assert np.abs(t).max() <= 0.07 and np.abs(t).max() > 0.069
    t = initializer(TruncatedNormal(0.5), [200, 100]).asnumpy()
    assert np.abs(t).max() <= 1.0 and t.std() == pytest.approx(0.5 * 0.8796, rel=0.03)
    np.testing.assert_array_equal(initializer("zeros", [2, 3]).asnumpy(), np.zeros((2, 3), np.float32))
    np.testing.assert_array_equal(initializer(One(), (2,), ms.int32).asnumpy(), np.ones(2, np.int32))
    np.testing.assert_array_equal(initializer(2.5, [2]).asnumpy(), [2.5, 2.5])
    np.testing.assert_array_equal(initializer(Constant(3), [1, 2]).asnumpy(), [[3, 3]])
    assert initializer(Zero(), 4).shape == (4,)
    data = Tensor(np.ones((2, 2), np.float32))
    assert initializer(data, [2, 2]) is data
    with pytest.raises(ValueError, match="shape of the 'init' argument"):
        initializer(data, [3, 2])
    with pytest.raises(ValueError, match="was not found"):
        initializer("gaussian", [2])
    with pytest.raises(TypeError):
        initializer([1, 2], [2])
