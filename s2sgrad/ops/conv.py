"""MindSpore's convolution and pooling primitives (Conv2D, MaxPool, AvgPool, Flatten)
and their functional forms, on the primitives of `s2sgrad/primitives_conv.py`.

Each constructor checks its arguments as MindSpore does (same errors for the same
mistakes) and turns them into the primitive's attributes: `pad` is a (top, bottom,
left, right) tuple, or None for pad_mode "same".

What MindSpore accepts but s2sgrad does not compute (group != 1, NHWC, ceil_mode,
return_indices, pooling dilation) raises an S2SGradError at the user's line.
"""
import sys

from ..errors import S2SGradError
from ..surface import OpSpec, spec, _value
from ..tensor import apply_op
from . import Primitive, _prim_class


def _user_loc():
    """Where user code called into s2sgrad: the first frame outside the package."""
    from ..parse import SourceLoc
    import linecache
    package = __name__.split(".")[0]
    frame = sys._getframe(1)
    while frame is not None and frame.f_globals.get("__name__", "").split(".")[0] == package:
        frame = frame.f_back
    if frame is None:
        return None
    line = linecache.getline(frame.f_code.co_filename, frame.f_lineno).rstrip("\n")
    col = len(line) - len(line.lstrip())
    return SourceLoc(frame.f_code.co_filename, frame.f_lineno, col, line)


def refuse(message, hint):
    """An argument MindSpore accepts but s2sgrad cannot compute: say so at the user's line."""
    raise S2SGradError(message, _user_loc(), hint)


def refuse_in_call(message, hint):
    """The same for a functional op's argument. A TypeError, which the resolver reports
    at the call's line in construct (and which an eager call raises as it is)."""
    raise TypeError(f"{message}: {hint}")


def _int_or_tuple(name, value, op, lengths=(2,), positive=True):
    """MindSpore's int-or-tuple arguments as an (h, w) pair; 4-tuples are (1, 1, h, w)."""
    items = (value,) * 2 if isinstance(value, int) and not isinstance(value, bool) else value
    ok = (isinstance(items, (tuple, list)) and len(items) in lengths
          and all(isinstance(v, int) and not isinstance(v, bool) and (v > 0 if positive else v >= 0)
                  for v in items))
    if not ok:
        kind = "positive int" if positive else "non-negative int"
        sizes = " or ".join(str(n) for n in lengths)
        raise ValueError(f"For '{op}', the '{name}' must be a {kind} number or a tuple of {sizes} {kind} numbers, "
                         f"but got {value}.")
    items = tuple(items)
    return items[-2:]


def _pad_mode(pad_mode, op, modes):
    if not isinstance(pad_mode, str):
        raise TypeError(f"For '{op}', the type of 'pad_mode' must be 'str', but got {type(pad_mode).__name__}.")
    if pad_mode.lower() not in modes:
        raise ValueError(f"For '{op}', the 'pad_mode' must be str and must be in {list(modes)}, but got {pad_mode}.")
    return pad_mode.lower()


def _format(data_format, op):
    if data_format not in ("NCHW", "NHWC"):
        raise ValueError(f"For '{op}', the 'format' must be str and must be in ['NCHW', 'NHWC'], "
                         f"but got {data_format}.")
    if data_format != "NCHW":
        refuse(f"{op} with data_format='{data_format}' is not supported by s2sgrad (MindSpore runs NHWC on GPU "
               f"only)", "use data_format='NCHW' (N, C, H, W)")


def conv2d_attrs(out_channel, kernel_size, mode=1, pad_mode="valid", pad=0, stride=1, dilation=1, group=1,
                 data_format="NCHW", op="Conv2D"):
    """The conv2d primitive's attributes from MindSpore's Conv2D arguments."""
    if isinstance(out_channel, bool) or not isinstance(out_channel, int) or out_channel <= 0:
        raise ValueError(f"For '{op}', the 'out_channel' must be a positive int, but got {out_channel}.")
    kernel_size = _int_or_tuple("kernel_size", kernel_size, op)
    stride = _int_or_tuple("stride", stride, op, (2, 4))
    dilation = _int_or_tuple("dilation", dilation, op, (2, 4))
    if mode != 1:
        raise ValueError(f"For '{op}', the 'mode' must be 1, but got {mode}.")
    pad_mode = _pad_mode(pad_mode, op, ("valid", "same", "pad"))
    if isinstance(pad, int) and not isinstance(pad, bool):
        pad = (pad,) * 4
    if not (isinstance(pad, tuple) and len(pad) == 4 and all(isinstance(p, int) and p >= 0 for p in pad)):
        raise ValueError(f"For '{op}', the 'pad' must be a non-negative int or a tuple of 4 non-negative ints, "
                         f"but got {pad}.")
    if pad_mode != "pad" and pad != (0, 0, 0, 0):
        raise ValueError(f"For '{op}', the 'pad' must be zero when 'pad_mode' is not 'pad', but got 'pad' is {pad} "
                         f"and 'pad_mode' is {pad_mode}.")
    if isinstance(group, bool) or not isinstance(group, int) or group <= 0:
        raise ValueError(f"For '{op}', the 'group' must be a positive int, but got {group}.")
    _format(data_format, op)
    if group != 1:
        refuse(f"{op} with group={group} (grouped or depthwise convolution) is not supported by s2sgrad",
               "use group=1, or split the channels and concatenate several group=1 convolutions")
    return dict(out_channel=out_channel, kernel_size=kernel_size, stride=stride, dilation=dilation,
                pad=None if pad_mode == "same" else pad)


def pool_attrs(kernel_size=1, strides=1, pad_mode="valid", data_format="NCHW", op="MaxPool"):
    """The pooling primitives' attributes from MindSpore's MaxPool / AvgPool arguments."""
    for name, value in (("kernel_size", kernel_size), ("strides", strides)):
        if not isinstance(value, (int, tuple)) or isinstance(value, bool):
            raise TypeError(f"For '{op}', the type of '{name}' must be one of ['int', 'tuple'], "
                            f"but got {type(value).__name__}.")
    kernel_size = _int_or_tuple("kernel_size", kernel_size, op)
    strides = _int_or_tuple("strides", strides, op)
    pad_mode = _pad_mode(pad_mode, op, ("valid", "same"))
    _format(data_format, op)
    return dict(kernel_size=kernel_size, strides=strides, pad=None if pad_mode == "same" else (0, 0, 0, 0))


def _avg_pool_init(kernel_size=1, strides=1, pad_mode="valid", data_format="NCHW"):
    # MindSpore's AvgPool divides by the number of input elements under each window
    # (oneDNN's pooling_avg excludes padding), which matters for pad_mode "same" only.
    return dict(pool_attrs(kernel_size, strides, pad_mode, data_format, "AvgPool"),
                count_include_pad=False, divisor_override=0)


Conv2D = _prim_class("Conv2D", spec("conv2d"), conv2d_attrs)
MaxPool = _prim_class("MaxPool", spec("max_pool2d", output=0),
                      lambda kernel_size=1, strides=1, pad_mode="valid", data_format="NCHW":
                      pool_attrs(kernel_size, strides, pad_mode, data_format, "MaxPool"))
AvgPool = _prim_class("AvgPool", spec("avg_pool2d"), _avg_pool_init)
Flatten = _prim_class("Flatten", spec("flatten", start_dim=1, end_dim=-1))


def with_attrs(prim_cls, **attrs):
    """A `prim_cls` object with these primitive attributes, unchecked: for layers whose
    MindSpore counterpart uses a primitive s2sgrad has no class for (explicit padding
    runs on MindSpore's MaxPool3DWithArgmax / AvgPool3D)."""
    op = prim_cls.__new__(prim_cls)
    Primitive.__init__(op, **attrs)
    return op


# -- functional forms ----------------------------------------------------------------

def _functional(name, op_spec):
    def fn(*args, **kwargs):
        return apply_op(op_spec, args, kwargs, f"ops.{name}")
    fn.__name__ = fn.__qualname__ = name
    fn._s2s_spec = op_spec
    return fn


def _explicit_padding(padding, op, four=True):
    """ops.*'s `padding`: an int, (h, w) or (top, bottom, left, right) -> a 4-tuple."""
    if isinstance(padding, int) and not isinstance(padding, bool):
        padding = (padding,)
    padding = tuple(padding) if isinstance(padding, (tuple, list)) else padding
    lengths = (1, 2, 4) if four else (1, 2)
    if not (isinstance(padding, tuple) and len(padding) in lengths
            and all(isinstance(p, int) and not isinstance(p, bool) and p >= 0 for p in padding)):
        raise ValueError(f"For '{op}', the 'padding' must be a non-negative int or a tuple of "
                         f"{' or '.join(map(str, lengths))} non-negative ints, but got {padding}.")
    if len(padding) == 1:
        return padding * 4
    if len(padding) == 2:
        return (padding[0], padding[0], padding[1], padding[1])
    return padding


def _conv2d_functional(attrs):
    """ops.conv2d(input, weight, bias=None, stride=1, pad_mode="valid", padding=0, dilation=1, groups=1)."""
    values = {k: _value(attrs.pop(k)) for k in ("bias", "pad_mode", "padding", "groups")}
    if values["bias"] is not None:
        refuse_in_call("ops.conv2d with a bias is not supported by s2sgrad",
               "call ops.conv2d without bias and add it with ops.bias_add(out, bias)")
    pad_mode = _pad_mode(values["pad_mode"], "conv2d", ("valid", "same", "pad"))
    padding = values["padding"]
    if isinstance(padding, str):            # MindSpore also takes padding="same"/"valid"
        pad_mode, padding = _pad_mode(padding, "conv2d", ("valid", "same")), 0
    pad = _explicit_padding(padding, "conv2d")
    if values["groups"] != 1:
        refuse_in_call(f"ops.conv2d with groups={values['groups']} is not supported by s2sgrad", "use groups=1")
    if pad != (0, 0, 0, 0):
        pad_mode = "pad"
    out = conv2d_attrs(1, 1, pad_mode=pad_mode, pad=pad, stride=_value(attrs["stride"]),
                       dilation=_value(attrs["dilation"]), group=values["groups"], op="conv2d")
    return dict(out_channel=None, kernel_size=None, stride=out["stride"], dilation=out["dilation"], pad=out["pad"])


def _max_pool2d_functional(attrs):
    """ops.max_pool2d(x, kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False)."""
    values = {k: _value(attrs.pop(k)) for k in ("padding", "dilation", "return_indices", "ceil_mode")}
    kernel_size = _int_or_tuple("kernel_size", _value(attrs["kernel_size"]), "max_pool2d")
    stride = _value(attrs["strides"])
    stride = kernel_size if stride is None else _int_or_tuple("stride", stride, "max_pool2d")
    if values["dilation"] not in (1, (1, 1)) or values["return_indices"] or values["ceil_mode"]:
        refuse_in_call("ops.max_pool2d supports dilation=1, return_indices=False and ceil_mode=False in s2sgrad",
               "leave dilation, return_indices and ceil_mode at their defaults")
    return dict(kernel_size=kernel_size, strides=stride,
                pad=_explicit_padding(values["padding"], "max_pool2d", four=False))


def _avg_pool2d_functional(attrs):
    """ops.avg_pool2d(input_x, kernel_size=1, stride=1, padding=0, ceil_mode=False, count_include_pad=True,
    divisor_override=None)."""
    values = {k: _value(attrs.pop(k)) for k in ("padding", "ceil_mode")}
    if values["ceil_mode"]:
        refuse_in_call("ops.avg_pool2d with ceil_mode=True is not supported by s2sgrad", "use ceil_mode=False")
    divisor = _value(attrs["divisor_override"])
    if divisor is not None and (isinstance(divisor, bool) or not isinstance(divisor, int) or divisor <= 0):
        raise ValueError(f"For 'avg_pool2d', the 'divisor_override' must be > 0, but got {divisor}.")
    return dict(kernel_size=_int_or_tuple("kernel_size", _value(attrs["kernel_size"]), "avg_pool2d"),
                strides=_int_or_tuple("stride", _value(attrs["strides"]), "avg_pool2d"),
                pad=_explicit_padding(values["padding"], "avg_pool2d"),
                count_include_pad=bool(_value(attrs["count_include_pad"])), divisor_override=divisor or 0)


conv2d = _functional("conv2d", spec("conv2d", "bias", "stride", "pad_mode", "padding", "dilation", "groups",
                                    bias=None, stride=1, pad_mode="valid", padding=0, dilation=1, groups=1,
                                    derive=_conv2d_functional))
max_pool2d = _functional("max_pool2d", spec("max_pool2d", "kernel_size", ("stride", "strides"), "padding",
                                            "dilation", "return_indices", "ceil_mode", output=0, strides=None,
                                            padding=0, dilation=1, return_indices=False, ceil_mode=False,
                                            derive=_max_pool2d_functional))
avg_pool2d = _functional("avg_pool2d", spec("avg_pool2d", "kernel_size", ("stride", "strides"), "padding",
                                            "ceil_mode", "count_include_pad", "divisor_override", kernel_size=1,
                                            strides=1, padding=0, ceil_mode=False, count_include_pad=True,
                                            divisor_override=None, derive=_avg_pool2d_functional))
flatten = _functional("flatten", OpSpec("flatten", (("order", "order"), ("start_dim", "start_dim"),
                                                    ("end_dim", "end_dim")),
                                        {"order": "C", "start_dim": 1, "end_dim": -1},
                                        derive=lambda attrs: _flatten_order(attrs)))


def _flatten_order(attrs):
    order = _value(attrs.pop("order"))
    if order not in ("C", "F"):
        raise ValueError(f"For 'flatten', 'order' must be 'C' or 'F', but got '{order}'.")
    if order == "F":
        refuse_in_call("ops.flatten with order='F' is not supported by s2sgrad", "use order='C'")
    return {}


# Dense's reshapes for N-d input: [..., in] -> [-1, in] and back (no-ops for 2-d input).
to_rows = _functional("to_rows", spec("to_rows"))
from_rows = _functional("from_rows", spec("from_rows"))
