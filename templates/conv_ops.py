"""Adjoints of convolution, pooling and the layers' reshapes.

conv2d is bilinear, so its adjoints are the two other products of the same
geometry: the transposed convolution (backprop_input) and the correlation of
input and gradient (backprop_filter). Those two, and the pooling backwards, are
linear in the gradient they take, so their own adjoints are again primitives of
this set: each rule below can itself be differentiated.
"""
# flake8: noqa: F821 -- names inside templates are primitives of the generated code.
from s2sgrad import primitives_conv as P
from . import adjoint, d


@adjoint(P.conv2d)
def conv2d(z, x, w, out_channel, kernel_size, stride, dilation, pad):
    d[x] = conv2d_backprop_input(d[z], w, x, stride, dilation, pad)
    d[w] = conv2d_backprop_filter(d[z], x, w, stride, dilation, pad)


# x only gives the input's shape here.
@adjoint(P.conv2d_backprop_input)
def conv2d_backprop_input(z, g, w, x, stride, dilation, pad):
    d[g] = conv2d(d[z], w, None, None, stride, dilation, pad)
    d[w] = conv2d_backprop_filter(g, d[z], w, stride, dilation, pad)
    d[x] = zeros_like(x)


# w only gives the filter's shape here.
@adjoint(P.conv2d_backprop_filter)
def conv2d_backprop_filter(z, g, x, w, stride, dilation, pad):
    d[g] = conv2d(x, d[z], None, None, stride, dilation, pad)
    d[x] = conv2d_backprop_input(g, d[z], x, stride, dilation, pad)
    d[w] = zeros_like(w)


# The gradient goes to each window's maximum (the first one on ties); z[1] holds where it is.
@adjoint(P.max_pool2d)
def max_pool2d(z, x, kernel_size, strides, pad):
    d[x] = max_pool2d_grad(d[z[0]], z[1], x)


@adjoint(P.max_pool2d_grad)
def max_pool2d_grad(z, g, argmax, x):
    d[g] = max_pool2d_gather(d[z], argmax)
    d[argmax] = zeros_like(argmax)
    d[x] = zeros_like(x)


@adjoint(P.max_pool2d_gather)
def max_pool2d_gather(z, h, argmax):
    d[h] = max_pool2d_grad(d[z], argmax, h)
    d[argmax] = zeros_like(argmax)


@adjoint(P.avg_pool2d)
def avg_pool2d(z, x, kernel_size, strides, pad, count_include_pad, divisor_override):
    d[x] = avg_pool2d_grad(d[z], x, kernel_size, strides, pad, count_include_pad, divisor_override)


# Spreading a window's gradient is the transpose of averaging it: the adjoint is the average.
@adjoint(P.avg_pool2d_grad)
def avg_pool2d_grad(z, g, x, kernel_size, strides, pad, count_include_pad, divisor_override):
    d[g] = avg_pool2d(d[z], kernel_size, strides, pad, count_include_pad, divisor_override)
    d[x] = zeros_like(x)


@adjoint(P.flatten)
def flatten(z, x, start_dim, end_dim):
    d[x] = reshape(d[z], x.shape)


@adjoint(P.to_rows)
def to_rows(z, x):
    d[x] = reshape(d[z], x.shape)


# x only gives the leading dimensions: it gets no contribution.
@adjoint(P.from_rows)
def from_rows(z, y, x):
    d[y] = reshape(d[z], y.shape)
