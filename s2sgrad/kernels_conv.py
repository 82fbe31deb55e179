"""Kernels of convolution and pooling (NCHW), shared by the `cpu` backend (Numba
compiles them inside the generated functions) and the `python` backend (plain NumPy).

Every kernel gets its padding as a concrete (top, bottom, left, right) tuple: the
lowerings in `primitives_conv.py` turn MindSpore's pad modes into numbers.

Convolution is im2col + one matrix product: `np.dot` of two contiguous 2-d arrays
goes to BLAS. Layout changes are plain loops: Numba compiles those in a fraction
of the time multi-dimensional slice assignments and transposes take. Pooling loops over output positions; max pooling keeps the
flat index of each window's maximum for its backward.
"""
import numpy as np
from numba.extending import register_jitable


@register_jitable
def _out_size(n, k, stride, dilation, pad_lo, pad_hi):
    """Output length of a window of k taps (spaced `dilation`) moved by `stride`."""
    return (n + pad_lo + pad_hi - (k - 1) * dilation - 1) // stride + 1


@register_jitable
def _valid_range(n_out, start, step, limit):
    """The outputs o in [0, n_out) whose input index start + o * step lies in [0, limit)."""
    lo = 0
    if start < 0:
        lo = (-start + step - 1) // step
    hi = n_out
    if start + (n_out - 1) * step >= limit:
        hi = max(0, (limit - 1 - start) // step + 1) if start < limit else 0
    return lo, max(lo, hi)


@register_jitable
def _im2col(x, kh, kw, stride, dilation, pads, oh, ow):
    """Columns [C*kh*kw, N*oh*ow] of x [N, C, H, W]: column (b, p, q) holds the window of
    output position (p, q) of sample b; taps that fall in the padding stay zero."""
    n, c, h, w = x.shape
    sh, sw = stride
    dh, dw = dilation
    cols = np.zeros((c * kh * kw, n * oh * ow), x.dtype)
    for ci in range(c):
        for i in range(kh):
            p_lo, p_hi = _valid_range(oh, i * dh - pads[0], sh, h)
            for j in range(kw):
                row = (ci * kh + i) * kw + j
                q_lo, q_hi = _valid_range(ow, j * dw - pads[2], sw, w)
                for b in range(n):
                    for p in range(p_lo, p_hi):
                        r = p * sh + i * dh - pads[0]
                        base = (b * oh + p) * ow
                        for q in range(q_lo, q_hi):
                            cols[row, base + q] = x[b, ci, r, q * sw + j * dw - pads[2]]
    return cols


@register_jitable
def _col2im(cols, x, kh, kw, stride, dilation, pads, oh, ow):
    """The adjoint of _im2col: each element of x's shape sums the column entries that
    read it. Written as a gather (one store per element) because LLVM optimises the
    equivalent scatter-add loop nest many times slower wherever it inlines it."""
    n, c, h, w = x.shape
    sh, sw = stride
    dh, dw = dilation
    out = np.empty((n, c, h, w), cols.dtype)
    for b in range(n):
        for ci in range(c):
            for r in range(h):
                for s in range(w):
                    acc = cols[0, 0] * 0
                    for i in range(kh):
                        t = r + pads[0] - i * dh
                        if t < 0 or t % sh != 0 or t // sh >= oh:
                            continue
                        base = (b * oh + t // sh) * ow
                        for j in range(kw):
                            u = s + pads[2] - j * dw
                            if u < 0 or u % sw != 0 or u // sw >= ow:
                                continue
                            acc += cols[(ci * kh + i) * kw + j, base + u // sw]
                    out[b, ci, r, s] = acc
    return out


@register_jitable
def _weight_rows(w):
    """w [O, C, kh, kw] as the matrix [O, C*kh*kw] (a C-contiguous copy)."""
    o, c, kh, kw = w.shape
    out = np.empty((o, c * kh * kw), w.dtype)
    for a in range(o):
        for ci in range(c):
            for i in range(kh):
                for j in range(kw):
                    out[a, (ci * kh + i) * kw + j] = w[a, ci, i, j]
    return out


@register_jitable
def _weight_cols(w):
    """w [O, C, kh, kw] as the matrix [C*kh*kw, O]."""
    o, c, kh, kw = w.shape
    out = np.empty((c * kh * kw, o), w.dtype)
    for a in range(o):
        for ci in range(c):
            for i in range(kh):
                for j in range(kw):
                    out[(ci * kh + i) * kw + j, a] = w[a, ci, i, j]
    return out


@register_jitable
def _grad_rows(g):
    """g [N, O, oh, ow] as the matrix [O, N*oh*ow] of the column products."""
    n, o, oh, ow = g.shape
    out = np.empty((o, n * oh * ow), g.dtype)
    for b in range(n):
        for a in range(o):
            for p in range(oh):
                for q in range(ow):
                    out[a, (b * oh + p) * ow + q] = g[b, a, p, q]
    return out


@register_jitable
def _grad_cols(g):
    """g [N, O, oh, ow] as the matrix [N*oh*ow, O]."""
    n, o, oh, ow = g.shape
    out = np.empty((n * oh * ow, o), g.dtype)
    for b in range(n):
        for a in range(o):
            for p in range(oh):
                for q in range(ow):
                    out[(b * oh + p) * ow + q, a] = g[b, a, p, q]
    return out


@register_jitable
def conv2d(x, w, stride, dilation, pads):
    """Cross-correlation of x [N, C, H, W] with w [O, C, kh, kw]: one BLAS product
    [O, C*kh*kw] @ [C*kh*kw, N*oh*ow], then laid out as [N, O, oh, ow]."""
    n, c, h, wd = x.shape
    o, kh, kw = w.shape[0], w.shape[2], w.shape[3]
    oh = _out_size(h, kh, stride[0], dilation[0], pads[0], pads[1])
    ow = _out_size(wd, kw, stride[1], dilation[1], pads[2], pads[3])
    prod = np.dot(_weight_rows(w), _im2col(x, kh, kw, stride, dilation, pads, oh, ow))
    out = np.empty((n, o, oh, ow), prod.dtype)
    for b in range(n):
        for a in range(o):
            for p in range(oh):
                for q in range(ow):
                    out[b, a, p, q] = prod[a, (b * oh + p) * ow + q]
    return out


@register_jitable
def conv2d_backprop_input(g, w, x, stride, dilation, pads):
    """d conv2d / d x applied to g [N, O, oh, ow]: the transposed convolution (x gives the shape)."""
    kh, kw = w.shape[2], w.shape[3]
    oh, ow = g.shape[2], g.shape[3]
    cols = np.dot(_weight_cols(w), _grad_rows(g))
    return _col2im(cols, x, kh, kw, stride, dilation, pads, oh, ow)


@register_jitable
def conv2d_backprop_filter(g, x, w, stride, dilation, pads):
    """d conv2d / d w applied to g [N, O, oh, ow] (w gives the shape)."""
    o, c, kh, kw = w.shape
    oh, ow = g.shape[2], g.shape[3]
    prod = np.dot(_im2col(x, kh, kw, stride, dilation, pads, oh, ow), _grad_cols(g))
    dw = np.empty((o, c, kh, kw), prod.dtype)
    for a in range(o):
        for ci in range(c):
            for i in range(kh):
                for j in range(kw):
                    dw[a, ci, i, j] = prod[(ci * kh + i) * kw + j, a]
    return dw


@register_jitable
def max_pool2d(x, kernel, stride, pads):
    """Window maxima of x [N, C, H, W] and the flat index (row * W + col) of each,
    the first one in row-major window order on ties. Padding never wins."""
    n, c, h, w = x.shape
    kh, kw = kernel
    sh, sw = stride
    pt, pb, pl, pr = pads
    oh = _out_size(h, kh, sh, 1, pt, pb)
    ow = _out_size(w, kw, sw, 1, pl, pr)
    out = np.empty((n, c, oh, ow), x.dtype)
    arg = np.empty((n, c, oh, ow), np.int64)
    for b in range(n):
        for ch in range(c):
            for i in range(oh):
                r0 = i * sh - pt
                for j in range(ow):
                    c0 = j * sw - pl
                    best = x[b, ch, max(r0, 0), max(c0, 0)]
                    where = max(r0, 0) * w + max(c0, 0)
                    for r in range(max(r0, 0), min(r0 + kh, h)):
                        for s in range(max(c0, 0), min(c0 + kw, w)):
                            v = x[b, ch, r, s]
                            if v > best:
                                best = v
                                where = r * w + s
                    out[b, ch, i, j] = best
                    arg[b, ch, i, j] = where
    return out, arg


@register_jitable
def max_pool2d_grad(g, argmax, x):
    """Each window's gradient added at its maximum: zeros of x's shape elsewhere."""
    n, c, h, w = x.shape
    oh, ow = g.shape[2], g.shape[3]
    dx = np.zeros((n, c, h, w), g.dtype)
    for b in range(n):
        for ch in range(c):
            for i in range(oh):
                for j in range(ow):
                    k = argmax[b, ch, i, j]
                    dx[b, ch, k // w, k % w] += g[b, ch, i, j]
    return dx


@register_jitable
def max_pool2d_gather(h, argmax):
    """h [N, C, H, W] read at the pooled maxima: the adjoint of max_pool2d_grad."""
    n, c, w = h.shape[0], h.shape[1], h.shape[3]
    oh, ow = argmax.shape[2], argmax.shape[3]
    out = np.empty((n, c, oh, ow), h.dtype)
    for b in range(n):
        for ch in range(c):
            for i in range(oh):
                for j in range(ow):
                    k = argmax[b, ch, i, j]
                    out[b, ch, i, j] = h[b, ch, k // w, k % w]
    return out


@register_jitable
def _avg_divisor(r0, c0, kh, kw, h, w, count_include_pad, divisor_override):
    """What a window divides by: divisor_override if set, the kernel area when padding
    counts, else the number of input elements under the window."""
    if divisor_override > 0:
        return divisor_override
    if count_include_pad:
        return kh * kw
    return (min(r0 + kh, h) - max(r0, 0)) * (min(c0 + kw, w) - max(c0, 0))


@register_jitable
def avg_pool2d(x, kernel, stride, pads, count_include_pad, divisor_override):
    """Window means of x [N, C, H, W] (padding contributes zeros)."""
    n, c, h, w = x.shape
    kh, kw = kernel
    sh, sw = stride
    pt, pb, pl, pr = pads
    oh = _out_size(h, kh, sh, 1, pt, pb)
    ow = _out_size(w, kw, sw, 1, pl, pr)
    out = np.empty((n, c, oh, ow), x.dtype)
    for b in range(n):
        for ch in range(c):
            for i in range(oh):
                r0 = i * sh - pt
                for j in range(ow):
                    c0 = j * sw - pl
                    acc = x[b, ch, 0, 0] * 0
                    for r in range(max(r0, 0), min(r0 + kh, h)):
                        for s in range(max(c0, 0), min(c0 + kw, w)):
                            acc += x[b, ch, r, s]
                    out[b, ch, i, j] = acc / _avg_divisor(r0, c0, kh, kw, h, w, count_include_pad,
                                                          divisor_override)
    return out


@register_jitable
def avg_pool2d_grad(g, x, kernel, stride, pads, count_include_pad, divisor_override):
    """Each window's gradient spread evenly (by its divisor) over its input elements;
    gathered per input element, as in _col2im."""
    n, c, h, w = x.shape
    kh, kw = kernel
    sh, sw = stride
    pt, pl = pads[0], pads[2]
    oh, ow = g.shape[2], g.shape[3]
    dx = np.empty((n, c, h, w), g.dtype)
    for b in range(n):
        for ch in range(c):
            for r in range(h):
                i_lo = max(0, (r + pt - kh) // sh + 1)
                i_hi = min(oh, (r + pt) // sh + 1)
                for s in range(w):
                    j_lo = max(0, (s + pl - kw) // sw + 1)
                    j_hi = min(ow, (s + pl) // sw + 1)
                    acc = g[0, 0, 0, 0] * 0
                    for i in range(i_lo, i_hi):
                        for j in range(j_lo, j_hi):
                            acc += g[b, ch, i, j] / _avg_divisor(i * sh - pt, j * sw - pl, kh, kw, h, w,
                                                                 count_include_pad, divisor_override)
                    dx[b, ch, r, s] = acc
    return dx
