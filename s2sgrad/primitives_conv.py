"""Rows of the primitive table for convolutional networks: 2-d convolution and
pooling (NCHW) with the backward primitives their adjoints call, and the reshapes
the layers need (Flatten, Dense on N-d input).

MindSpore's pad modes reach these primitives as one attribute, `pad`: a tuple
(top, bottom, left, right), or None for "same", whose padding depends on the
input's size. The shape rules and lowerings compute it from static shapes, so the
kernels (`kernels_conv.py`) always get concrete numbers.

Each backward primitive has an adjoint of its own (templates/conv_ops.py): they are
linear in their gradient operand, so the rules close over this set.
"""
import numpy as np

from . import kernels_conv as K
from . import nodes as N
from .primitives import AVal, RuleError, primitive, static_shape, shape_of, aval_of


# -- geometry ---------------------------------------------------------------------

def same_pads(in_hw, kernel, stride, dilation):
    """MindSpore's "same" padding: the output is ceil(in / stride); an odd total goes
    to the bottom / right."""
    pads = []
    for n, k, s, d in zip(in_hw, kernel, stride, dilation):
        out = -(-n // s)
        need = max(0, (out - 1) * s + (k - 1) * d + 1 - n)
        pads += [need // 2, need - need // 2]
    return tuple(pads)


def window_geometry(x_shape, kernel, stride, dilation, pad, what):
    """(pads, (oh, ow)) of windows `kernel` (spaced `dilation`) over x [N, C, H, W]."""
    pads = same_pads(x_shape[2:], kernel, stride, dilation) if pad is None else tuple(int(p) for p in pad)
    out = tuple((n + lo + hi - (k - 1) * d - 1) // s + 1
                for n, k, s, d, lo, hi in zip(x_shape[2:], kernel, stride, dilation, pads[0::2], pads[1::2]))
    if min(out) < 1:
        raise RuleError(f"{what}: the window {list(kernel)} (dilation {list(dilation)}, padding {list(pads)}) "
                        f"does not fit the input of spatial size {list(x_shape[2:])}")
    return pads, out


def float_4d(x, what, name="input"):
    """x's static shape, which must be [N, C, H, W] of float32 or float64."""
    if not isinstance(x, AVal):
        raise RuleError(f"{what} needs a 4-d tensor as its {name}, got the number {x!r}")
    shape = static_shape(x, what)
    if len(shape) != 4:
        raise RuleError(f"{what} needs a 4-d {name} [N, C, H, W], got shape {list(shape)}")
    if x.dtype not in (np.float32, np.float64):
        raise RuleError(f"{what} supports float32 and float64 tensors, got {name} of dtype {x.dtype}")
    return shape


# -- convolution --------------------------------------------------------------------

def conv2d_rule(x, w, out_channel, kernel_size, stride, dilation, pad):
    """x [N, C, H, W] * w [O, C, kh, kw] -> [N, O, oh, ow]; out_channel and kernel_size
    (None when not given) must match the weight, as MindSpore's Conv2D checks."""
    xs, ws = float_4d(x, "Conv2D"), float_4d(w, "Conv2D", "weight")
    if x.dtype != w.dtype:
        raise RuleError(f"Conv2D needs an input and a weight of one dtype, got {x.dtype} and {w.dtype}")
    if ws[1] != xs[1]:
        raise RuleError(f"Conv2D: the weight {list(ws)} expects {ws[1]} input channels, but the input "
                        f"{list(xs)} has {xs[1]} (only group=1 is supported)")
    if out_channel is not None and ws[0] != out_channel:
        raise RuleError(f"Conv2D: out_channel is {out_channel}, but the weight {list(ws)} has {ws[0]} filters")
    if kernel_size is not None and tuple(ws[2:]) != tuple(kernel_size):
        raise RuleError(f"Conv2D: kernel_size is {list(kernel_size)}, but the weight {list(ws)} has kernels "
                        f"of size {list(ws[2:])}")
    _, out = window_geometry(xs, ws[2:], stride, dilation, pad, "Conv2D")
    return AVal(x.dtype, (xs[0], ws[0]) + out)


def conv2d_grad_rule(which):
    """The backward primitives: g [N, O, oh, ow] with the other two operands, in the
    template's order (g, w, x) or (g, x, w); the result has x's or w's shape."""
    def rule(g, a, b, stride, dilation, pad):
        w, x = (a, b) if which == "input" else (b, a)
        xs, ws, gs = float_4d(x, "Conv2D"), float_4d(w, "Conv2D", "weight"), float_4d(g, "Conv2D", "gradient")
        _, out = window_geometry(xs, ws[2:], stride, dilation, pad, "Conv2D")
        if gs != (xs[0], ws[0]) + out:
            raise RuleError(f"Conv2D backward: a gradient of shape {list(gs)} does not fit input {list(xs)} "
                            f"and weight {list(ws)}")
        return AVal(g.dtype, xs if which == "input" else ws)
    return rule


def conv_pads(x_aval, w_aval, stride, dilation, pad):
    return window_geometry(x_aval.shape, w_aval.shape[2:], stride, dilation, pad, "Conv2D")[0]


def lower_conv2d(args, attr_nodes, avals, attrs):
    pads = conv_pads(avals[0], avals[1], attrs["stride"], attrs["dilation"], attrs["pad"])
    return N.call("conv2d", args[0], args[1], N.literal(tuple(attrs["stride"])),
                  N.literal(tuple(attrs["dilation"])), N.literal(pads))


def lower_conv2d_grad(which):
    def lower(args, attr_nodes, avals, attrs):
        w, x = (avals[1], avals[2]) if which == "input" else (avals[2], avals[1])
        pads = conv_pads(x, w, attrs["stride"], attrs["dilation"], attrs["pad"])
        return N.call(f"conv2d_backprop_{which}", *args, N.literal(tuple(attrs["stride"])),
                      N.literal(tuple(attrs["dilation"])), N.literal(pads))
    return lower


def _eager_conv2d(x, w, out_channel, kernel_size, stride, dilation, pad):
    conv2d_rule(aval_of(x), aval_of(w), out_channel, kernel_size, stride, dilation, pad)
    return K.conv2d(x, w, tuple(stride), tuple(dilation), conv_pads(aval_of(x), aval_of(w), stride, dilation, pad))


def _eager_conv2d_grad(which):
    def run(g, a, b, stride, dilation, pad):
        conv2d_grad_rule(which)(aval_of(g), aval_of(a), aval_of(b), stride, dilation, pad)
        w, x = (a, b) if which == "input" else (b, a)
        pads = conv_pads(aval_of(x), aval_of(w), stride, dilation, pad)
        kernel = K.conv2d_backprop_input if which == "input" else K.conv2d_backprop_filter
        return kernel(g, a, b, tuple(stride), tuple(dilation), pads)
    return run


# -- pooling ------------------------------------------------------------------------

def pool_geometry(x, kernel_size, strides, pad, what):
    """(pads, output shape) of pooling x; explicit padding may be at most half a window,
    so that every window covers part of the input."""
    xs = float_4d(x, what)
    pads, out = window_geometry(xs, kernel_size, strides, (1, 1), pad, what)
    if pad is not None and any(p > k // 2 for p, k in zip(pads, np.repeat(kernel_size, 2))):
        raise RuleError(f"{what}: padding {list(pads)} must be at most half the window {list(kernel_size)}")
    return pads, xs[:2] + out


def max_pool2d_rule(x, kernel_size, strides, pad):
    """The window maxima and the flat (row * W + col) int64 index of each."""
    _, out = pool_geometry(x, kernel_size, strides, pad, "MaxPool")
    return AVal(x.dtype, out), AVal(np.dtype(np.int64), out)


def max_pool2d_grad_rule(g, argmax, x):
    float_4d(x, "MaxPool")
    if shape_of(g) != shape_of(argmax):
        raise RuleError(f"MaxPool backward: gradient {list(shape_of(g))} and argmax {list(shape_of(argmax))} differ")
    return AVal(g.dtype, x.shape)


def max_pool2d_gather_rule(h, argmax):
    float_4d(h, "MaxPool")
    return AVal(h.dtype, argmax.shape)


def avg_pool2d_rule(x, kernel_size, strides, pad, count_include_pad, divisor_override):
    _, out = pool_geometry(x, kernel_size, strides, pad, "AvgPool")
    return AVal(x.dtype, out)


def avg_pool2d_grad_rule(g, x, kernel_size, strides, pad, count_include_pad, divisor_override):
    _, out = pool_geometry(x, kernel_size, strides, pad, "AvgPool")
    if shape_of(g) != out:
        raise RuleError(f"AvgPool backward: a gradient of shape {list(shape_of(g))} does not fit the input "
                        f"{list(x.shape)}")
    return AVal(g.dtype, x.shape)


def lower_pool(name, x_index):
    """Call `name` with the pool attributes, `pad` made concrete from operand x_index's shape."""
    def lower(args, attr_nodes, avals, attrs):
        pads, _ = pool_geometry(avals[x_index], attrs["kernel_size"], attrs["strides"], attrs["pad"], "pooling")
        extra = ([N.literal(bool(attrs["count_include_pad"])), N.literal(int(attrs["divisor_override"]))]
                 if "count_include_pad" in attrs else [])
        return N.call(name, *args, N.literal(tuple(attrs["kernel_size"])), N.literal(tuple(attrs["strides"])),
                      N.literal(pads), *extra)
    return lower


def _eager_max_pool2d(x, kernel_size, strides, pad):
    pads, _ = pool_geometry(aval_of(x), kernel_size, strides, pad, "MaxPool")
    return K.max_pool2d(x, tuple(kernel_size), tuple(strides), pads)


def _eager_avg_pool2d(x, kernel_size, strides, pad, count_include_pad, divisor_override):
    pads, _ = pool_geometry(aval_of(x), kernel_size, strides, pad, "AvgPool")
    return K.avg_pool2d(x, tuple(kernel_size), tuple(strides), pads, bool(count_include_pad), int(divisor_override))


def _eager_avg_pool2d_grad(g, x, kernel_size, strides, pad, count_include_pad, divisor_override):
    pads, _ = pool_geometry(aval_of(x), kernel_size, strides, pad, "AvgPool")
    return K.avg_pool2d_grad(g, x, tuple(kernel_size), tuple(strides), pads, bool(count_include_pad),
                             int(divisor_override))


# -- reshapes of the layers -----------------------------------------------------------

def flatten_shape(shape, start_dim, end_dim):
    """Dims start_dim..end_dim (inclusive) merged into one (ops.flatten)."""
    ndim = len(shape)
    if ndim == 0:
        return (1,)
    if not (-ndim <= start_dim < ndim and -ndim <= end_dim < ndim):
        raise RuleError(f"Flatten: start_dim {start_dim} or end_dim {end_dim} is out of range for a "
                        f"{ndim}-d input of shape {list(shape)}")
    s, e = start_dim % ndim, end_dim % ndim
    if s > e:
        raise RuleError(f"Flatten: start_dim {start_dim} comes after end_dim {end_dim}")
    return tuple(shape[:s]) + (int(np.prod(shape[s:e + 1])),) + tuple(shape[e + 1:])


def flatten_rule(x, start_dim, end_dim):
    if not isinstance(x, AVal):
        raise RuleError(f"Flatten needs a tensor, got the number {x!r}")
    return AVal(x.dtype, flatten_shape(static_shape(x, "Flatten"), start_dim, end_dim))


def to_rows_rule(x):
    """Dense's input [..., in] as a matrix [-1, in]."""
    shape = static_shape(x, "Dense") if isinstance(x, AVal) else ()
    if len(shape) < 2:
        raise RuleError(f"For 'Dense', the dimension of input should not be less than 2, but got {len(shape)}")
    return AVal(x.dtype, (int(np.prod(shape[:-1])), shape[-1]))


def from_rows_rule(y, x):
    """Dense's output [M, out] back to x's leading dims: x.shape[:-1] + (out,)."""
    return AVal(y.dtype, tuple(x.shape[:-1]) + (y.shape[-1],))


def lower_to_shape(target_of):
    """A reshape to a shape known from the avals; nothing at all when it would not change."""
    def lower(args, attr_nodes, avals, attrs):
        shape = target_of(avals, attrs)
        if shape == shape_of(avals[0]):
            return args[0]
        return N.call("reshape", args[0], N.literal(tuple(int(s) for s in shape)))
    return lower


# -- the table ------------------------------------------------------------------------

CONV_ATTRS = ("stride", "dilation", "pad")
POOL_ATTRS = ("kernel_size", "strides", "pad")
AVG_ATTRS = POOL_ATTRS + ("count_include_pad", "divisor_override")

conv2d = primitive("conv2d", 2, conv2d_rule, attrs=("out_channel", "kernel_size") + CONV_ATTRS,
                   lower=lower_conv2d, eager=_eager_conv2d)
conv2d_backprop_input = primitive("conv2d_backprop_input", 3, conv2d_grad_rule("input"), attrs=CONV_ATTRS,
                                  lower=lower_conv2d_grad("input"), eager=_eager_conv2d_grad("input"))
conv2d_backprop_filter = primitive("conv2d_backprop_filter", 3, conv2d_grad_rule("filter"), attrs=CONV_ATTRS,
                                   lower=lower_conv2d_grad("filter"), eager=_eager_conv2d_grad("filter"))
max_pool2d = primitive("max_pool2d", 1, max_pool2d_rule, attrs=POOL_ATTRS, n_out=2,
                       lower=lower_pool("max_pool2d", 0), eager=_eager_max_pool2d)
max_pool2d_grad = primitive("max_pool2d_grad", 3, max_pool2d_grad_rule, eager=K.max_pool2d_grad)
max_pool2d_gather = primitive("max_pool2d_gather", 2, max_pool2d_gather_rule, eager=K.max_pool2d_gather)
avg_pool2d = primitive("avg_pool2d", 1, avg_pool2d_rule, attrs=AVG_ATTRS,
                       lower=lower_pool("avg_pool2d", 0), eager=_eager_avg_pool2d)
avg_pool2d_grad = primitive("avg_pool2d_grad", 2, avg_pool2d_grad_rule, attrs=AVG_ATTRS,
                            lower=lower_pool("avg_pool2d_grad", 1), eager=_eager_avg_pool2d_grad)
flatten = primitive("flatten", 1, flatten_rule, attrs=("start_dim", "end_dim"),
                    lower=lower_to_shape(lambda av, at: flatten_shape(av[0].shape, at["start_dim"], at["end_dim"])),
                    eager=lambda x, start_dim, end_dim: np.reshape(x, flatten_shape(np.shape(x), start_dim, end_dim)))
to_rows = primitive("to_rows", 1, to_rows_rule, lower=lower_to_shape(lambda av, at: to_rows_rule(av[0]).shape),
                    eager=lambda x: np.reshape(x, to_rows_rule(aval_of(x)).shape))
from_rows = primitive("from_rows", 2, from_rows_rule,
                      lower=lower_to_shape(lambda av, at: from_rows_rule(*av).shape),
                      eager=lambda y, x: np.reshape(y, from_rows_rule(aval_of(y), aval_of(x)).shape))
