"""Reproduce MindSpore 2.10's ``repr(Tensor)`` string exactly, using numpy only.

This mirrors MindSpore's C++ ``Tensor::ToStringRepr`` + ``TensorStringifier``
(use_comma=True), so the odd corners (trailing ", " before a line wrap, "-0",
width-15 scientific floats) are intentional, not bugs.
"""
import math

import numpy as np

__all__ = ["format_tensor"]

# MindSpore's printed dtype name -> numpy dtype the C++ side would store.
_NP_DTYPES = {
    "Bool": np.bool_,
    "Int8": np.int8, "Int16": np.int16, "Int32": np.int32, "Int64": np.int64,
    "UInt8": np.uint8, "UInt16": np.uint16, "UInt32": np.uint32, "UInt64": np.uint64,
    "Float16": np.float16, "Float32": np.float32, "Float64": np.float64,
}

_THRESHOLD = 6        # kThreshold: dims longer than this are summarised ...
_THRESHOLD_1D = 1000  # ... except the only dim of a 1-D tensor (kThreshold1D)
_EDGE = _THRESHOLD // 2  # entries kept at each end of a summarised dim
# 1-D tensors get "\n " after every N elements (kThreshold1DFloat/Int/Bool).
_WRAP = {"float": 12, "int": 24, "bool": 12}


def _c_float(fmt, x):
    """printf-style float formatting as glibc's ostream does it.

    Python never prints "-nan"; glibc does for a NaN with the sign bit set.
    """
    if math.isnan(x):
        return "-nan" if math.copysign(1.0, x) < 0 else "nan"
    return fmt % x


def _kept(n, limit):
    """Indices printed along a dim of length n (first/last _EDGE if summarised)."""
    if n <= limit:
        return list(range(n))
    return list(range(_EDGE)) + list(range(n - _EDGE, n))


def _join(items, wrap):
    """Join one innermost row; `wrap` > 0 only for 1-D tensors."""
    out = []
    for i, s in enumerate(items):
        out.append(s)
        if i != len(items) - 1:
            out.append(", ")
        # C++ only wraps chunks longer than 3, so summarised 1-D chunks never wrap;
        # it also wraps after the last element (giving "\n ]").
        if wrap and len(items) > _EDGE and (i + 1) % wrap == 0:
            out.append("\n ")
    return "".join(out)


def _block(a, depth, limits, fmt, wrap):
    """Recursive bracket printer (SummaryStringRecursive)."""
    n = a.shape[0]
    if a.ndim == 1:  # innermost dim
        if n > limits[depth]:
            head = _join([fmt(v) for v in a[:_EDGE]], wrap)
            tail = _join([fmt(v) for v in a[n - _EDGE:]], wrap)
            return "[" + head + " ... " + tail + "]"
        return "[" + _join([fmt(v) for v in a], wrap) + "]"
    # C++ indents with setw(depth + 1) << ' ', i.e. depth+1 spaces.
    indent = " " * (depth + 1)
    rows = [_block(a[i], depth + 1, limits, fmt, wrap) for i in _kept(n, limits[depth])]
    sep = ",\n" + indent
    if n > limits[depth]:
        # No comma after "..." -- the C++ skips it for the row right after the ellipsis.
        return ("[" + sep.join(rows[:_EDGE]) + sep + "...\n" + indent
                + sep.join(rows[_EDGE:]) + "]")
    return "[" + sep.join(rows) + "]"


def format_tensor(arr, dtype_name):
    """Return MindSpore's ``repr(Tensor)`` for `arr` printed as dtype `dtype_name`."""
    if dtype_name not in _NP_DTYPES:
        raise ValueError(f"unsupported MindSpore dtype name: {dtype_name!r}")
    # Cast first so e.g. float64 input labelled Float32 is rounded as MindSpore stores it.
    a = np.asarray(arr).astype(_NP_DTYPES[dtype_name], copy=False)
    kind = "bool" if a.dtype == np.bool_ else ("float" if a.dtype.kind == "f" else "int")
    head = f"Tensor(shape=[{', '.join(str(d) for d in a.shape)}], dtype={dtype_name}, value="

    if a.size == 0:
        # Empty data prints nothing. Our reference notes give "value=\n)" for every
        # empty tensor (the C++ source reads as if 1-D [0] would give "value= )").
        return head + "\n)"
    if a.ndim == 0:
        # Scalars use plain `ss << value`: %g-like, 6 significant digits, no padding.
        v = a.item()
        if kind == "bool":
            body = "True" if v else "False"
        elif kind == "int":
            body = str(int(v))
        else:
            body = _c_float("%g", float(v))
        return head + " " + body + ")"

    limits = [_THRESHOLD] * (a.ndim - 1) + [_THRESHOLD if a.ndim > 1 else _THRESHOLD_1D]
    if kind == "float":
        # setw(15)/setprecision(8) scientific (float16: 11/4), on the value widened to double.
        width, prec = (11, 4) if a.dtype == np.float16 else (15, 8)
        fmt = lambda v: _c_float(f"%.{prec}e", float(v)).rjust(width)  # noqa: E731
    elif kind == "bool":
        fmt = lambda v: ("True" if v else "False").rjust(5)  # noqa: E731
    else:
        # Ints are right-aligned to the widest *printed* element of the whole tensor,
        # so measure only what survives summarisation.
        shown = a[np.ix_(*[_kept(n, lim) for n, lim in zip(a.shape, limits)])]
        width = max(len(str(int(v))) for v in shown.flat)
        fmt = lambda v: str(int(v)).rjust(width)  # noqa: E731

    wrap = _WRAP[kind] if a.ndim == 1 else 0
    body = _block(a, 0, limits, fmt, wrap)
    return head + ("\n" if a.ndim > 1 else " ") + body + ")"
