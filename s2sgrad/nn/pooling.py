"""nn.MaxPool2d and nn.AvgPool2d with MindSpore 2.10's arguments and checks.

pad_mode "valid" / "same" run MindSpore's MaxPool / AvgPool primitives; "pad" (and,
for AvgPool2d, any of padding, count_include_pad=False or divisor_override) runs the
explicit-padding path MindSpore builds on its 3-d pooling primitives. Note MindSpore's
AvgPool2d with pad_mode "same" divides each window by the number of input elements
it covers (padding excluded). Input is NCHW; ceil_mode, return_indices and pooling
dilation are refused.
"""
from .. import ops
from ..ops.conv import pool_attrs, refuse, with_attrs
from .cell import Cell


def _kernel_or_stride(name, value, cls_name):
    """_PoolNd's check: a positive int, or a tuple of positive ints (a 1-tuple is unwrapped)."""
    if isinstance(value, bool) or not isinstance(value, (int, tuple)):
        raise TypeError(f"For '{cls_name}', the type of '{name}' must be one of ['int', 'tuple'], "
                        f"but got {type(value).__name__}.")
    items = (value,) if isinstance(value, int) else value
    if not items or any(isinstance(v, bool) or not isinstance(v, int) or v <= 0 for v in items):
        raise ValueError(f"For '{cls_name}', the '{name}' must be an positive int number or a tuple, "
                         f"but got {value}")
    return value[0] if isinstance(value, tuple) and len(value) == 1 else value


def _pair_padding(padding, cls_name):
    """padding: an int, or a tuple/list of 1 or 2 ints (up-down, left-right) -> (t, b, l, r)."""
    items = (padding,) if isinstance(padding, int) and not isinstance(padding, bool) else padding
    if not (isinstance(items, (tuple, list)) and len(items) in (1, 2)
            and all(isinstance(p, int) and not isinstance(p, bool) and p >= 0 for p in items)):
        raise ValueError(f"For {cls_name}, the padding must be a int or tuple/list contains 1 or 2 int, "
                         f"but got {padding}.")
    ph, pw = (items[0], items[0]) if len(items) == 1 else tuple(items)
    return (ph, ph, pw, pw)


class _PoolNd(Cell):
    """kernel_size, stride and pad_mode, checked and shown as MindSpore does."""

    def __init__(self, kernel_size, stride, pad_mode, data_format="NCHW"):
        super().__init__()
        cls_name = type(self).__name__
        if not isinstance(pad_mode, str):
            raise TypeError(f"For '{cls_name}', the type of 'pad_mode' must be 'str', "
                            f"but got {type(pad_mode).__name__}.")
        if pad_mode.upper() not in ("VALID", "SAME", "PAD"):
            raise ValueError(f"For '{cls_name}', the 'pad_mode' must be str and must be in ['VALID', 'SAME', 'PAD'], "
                             f"but got {pad_mode.upper()}.")
        self.pad_mode = pad_mode.upper()
        self.format = data_format
        self.kernel_size = _kernel_or_stride("kernel_size", kernel_size, cls_name)
        self.stride = _kernel_or_stride("stride", stride, cls_name)

    def pool_attrs(self, op):
        mode = "valid" if self.pad_mode == "PAD" else self.pad_mode
        return pool_attrs(self.kernel_size, self.stride, mode, self.format, op)

    def extend_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, pad_mode={self.pad_mode}"


class MaxPool2d(_PoolNd):
    """2-d max pooling over NCHW input."""

    def __init__(self, kernel_size=1, stride=1, pad_mode="valid", padding=0, dilation=1, return_indices=False,
                 ceil_mode=False, data_format="NCHW"):
        super().__init__(kernel_size, stride, pad_mode, data_format)
        cls_name = type(self).__name__
        attrs = self.pool_attrs("MaxPool")
        if self.pad_mode == "PAD":
            if dilation not in (1, (1, 1)) or return_indices or ceil_mode:
                refuse(f"{cls_name} with dilation, return_indices or ceil_mode is not supported by s2sgrad",
                       "leave dilation=1, return_indices=False and ceil_mode=False")
            attrs["pad"] = _pair_padding(padding, cls_name)
        elif padding != 0 or dilation != 1 or return_indices or ceil_mode:
            raise ValueError(f"For {cls_name}, the parameter 'padding', 'dilation', 'return_indices', 'ceil_mode' "
                             f"can not be set to non-default value when pad_mode is not 'pad', "
                             f"but got pad_mode:{pad_mode}.")
        self.padding = padding
        self.max_pool = with_attrs(ops.MaxPool, **attrs)

    def construct(self, x):
        return self.max_pool(x)


class AvgPool2d(_PoolNd):
    """2-d average pooling over NCHW input."""

    def __init__(self, kernel_size=1, stride=1, pad_mode="valid", padding=0, ceil_mode=False, count_include_pad=True,
                 divisor_override=None, data_format="NCHW"):
        super().__init__(kernel_size, stride, pad_mode, data_format)
        cls_name = type(self).__name__
        attrs = dict(self.pool_attrs("AvgPool"), count_include_pad=False, divisor_override=0)
        explicit = (self.pad_mode == "PAD" or padding != 0 or ceil_mode or not count_include_pad
                    or divisor_override is not None)
        if explicit:                          # MindSpore's AvgPool3D path
            if ceil_mode:
                refuse(f"{cls_name} with ceil_mode=True is not supported by s2sgrad", "use ceil_mode=False")
            if divisor_override is not None and (isinstance(divisor_override, bool)
                                                 or not isinstance(divisor_override, int) or divisor_override <= 0):
                raise ValueError(f"For '{cls_name}', the 'divisor_override' must be > 0, but got {divisor_override}.")
            pads = _pair_padding(padding, cls_name)
            if self.pad_mode != "PAD" and pads != (0, 0, 0, 0):
                raise ValueError(f"For '{cls_name}', the 'padding' must be 0 when 'pad_mode' is not 'pad', "
                                 f"but got padding={padding} and pad_mode={pad_mode}.")
            attrs.update(pad=None if self.pad_mode == "SAME" else pads, count_include_pad=bool(count_include_pad),
                         divisor_override=divisor_override or 0)
        self.avg_pool = with_attrs(ops.AvgPool, **attrs)
        self.padding = padding

    def construct(self, x):
        return self.avg_pool(x)
