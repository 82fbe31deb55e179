"""nn.Conv2d, written as MindSpore 2.10 writes it: a Conv2D primitive on the weight
[out, in, kh, kw], then BiasAdd when has_bias. Defaults: pad_mode "same", no bias,
weight HeUniform(negative_slope=sqrt(5)), bias Uniform(1 / sqrt(in * kh * kw))."""
import math

from .. import dtype as mstype
from .. import ops
from ..common.initializer import HeUniform, Uniform, initializer, _calculate_fan_in_and_fan_out
from ..parameter import Parameter
from .cell import Cell


def _twice(value, name, cls_name):
    """MindSpore's `twice`: an int -> (v, v); a tuple is kept (checked by the primitive)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return (value, value)
    if isinstance(value, tuple):
        return value
    raise TypeError(f"For '{cls_name}', the type of '{name}' must be int or tuple, but got {type(value).__name__}.")


class Conv2d(Cell):
    """2-d convolution layer over NCHW input (group=1)."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, pad_mode="same", padding=0, dilation=1,
                 group=1, has_bias=False, weight_init=None, bias_init=None, data_format="NCHW",
                 dtype=mstype.float32):
        super().__init__()
        cls_name = type(self).__name__
        for name, value in (("in_channels", in_channels), ("out_channels", out_channels)):
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError(f"For '{cls_name}', the '{name}' must be a positive int, but got {value}.")
        if not isinstance(padding, (int, tuple)) or isinstance(padding, bool):
            raise TypeError(f"For '{cls_name}', the type of 'padding' must be int or tuple(int), "
                            f"but got {type(padding).__name__}.")
        if not isinstance(has_bias, bool):
            raise TypeError(f"For '{cls_name}', the 'has_bias' must be a bool, but got {type(has_bias).__name__}.")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = _twice(kernel_size, "kernel_size", cls_name)
        self.stride = _twice(stride, "stride", cls_name)
        self.dilation = _twice(dilation, "dilation", cls_name)
        self.pad_mode = pad_mode
        self.padding = padding
        self.group = group
        self.has_bias = has_bias
        self.data_format = data_format
        self.conv2d = ops.Conv2D(out_channel=out_channels, kernel_size=self.kernel_size, mode=1, pad_mode=pad_mode,
                                 pad=padding, stride=self.stride, dilation=self.dilation, group=group,
                                 data_format=data_format)
        shape = [out_channels, in_channels // group, *self.kernel_size]
        if weight_init is None:
            weight_init = HeUniform(math.sqrt(5))
        self.weight_init = weight_init
        self.weight = Parameter(initializer(weight_init, shape, dtype=dtype), name="weight")
        self.bias_init = bias_init
        if has_bias:
            if bias_init is None:
                fan_in, _ = _calculate_fan_in_and_fan_out(shape)
                bias_init = Uniform(1 / math.sqrt(fan_in)) if fan_in else "zeros"
                self.bias_init = bias_init
            self.bias = Parameter(initializer(bias_init, [out_channels], dtype=dtype), name="bias")
        else:
            self.bias = None
        self.bias_add = ops.BiasAdd(data_format=data_format)

    def construct(self, x):
        output = self.conv2d(x, self.weight)
        if self.has_bias:
            output = self.bias_add(output, self.bias)
        return output

    def extend_repr(self):
        return (f"input_channels={self.in_channels}, output_channels={self.out_channels}, "
                f"kernel_size={self.kernel_size}, stride={self.stride}, pad_mode={self.pad_mode}, "
                f"padding={self.padding}, dilation={self.dilation}, group={self.group}, has_bias={self.has_bias}, "
                f"weight_init={self.weight_init}, bias_init={self.bias_init}, format={self.data_format}")

