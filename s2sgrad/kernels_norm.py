"""CPU kernels of dropout, batch norm and layer norm (`primitives_norm.py`).

Like `kernels.py`: NumPy code valid in Numba's nopython mode, run as plain Python by
the `python` backend and registered with `register_jitable` for the `cpu` backend.
Statistics accumulate in float64 and are stored in the input's dtype.

Batch norm sees its input as (N, C, M): channel axis 1, M the product of the axes
after it. Layer norm sees its input as (R, K): R rows (the axes before
begin_norm_axis) of K normalised elements; its gamma/beta of P elements repeat
along the flattened input with period P (they cover the last axes).
"""
import math

import numpy as np

from .kernels import const_like


# -- GELU ---------------------------------------------------------------------------------

_GELU_C = math.sqrt(2.0 / math.pi)


def gelu(x, approximate):
    """0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³))) (approximate), else 0.5·x·(1 + erf(x/√2))."""
    flat = np.ascontiguousarray(x).reshape(-1)
    out = np.empty_like(flat)
    for i in range(flat.size):
        v = float(flat[i])
        if approximate:
            out[i] = 0.5 * v * (1.0 + math.tanh(_GELU_C * (v + 0.044715 * v * v * v)))
        else:
            out[i] = 0.5 * v * (1.0 + math.erf(v / math.sqrt(2.0)))
    return out.reshape(x.shape)


def gelu_grad(g, x, approximate):
    """g times the exact derivative of `gelu` (of the tanh form when approximate)."""
    flat = np.ascontiguousarray(x).reshape(-1)
    gf = np.ascontiguousarray(g).reshape(-1)
    out = np.empty_like(gf)
    for i in range(flat.size):
        v = float(flat[i])
        if approximate:
            t = math.tanh(_GELU_C * (v + 0.044715 * v * v * v))
            d = 0.5 * (1.0 + t) + 0.5 * v * (1.0 - t * t) * _GELU_C * (1.0 + 3.0 * 0.044715 * v * v)
        else:
            d = 0.5 * (1.0 + math.erf(v / math.sqrt(2.0))) + v * math.exp(-0.5 * v * v) / math.sqrt(2.0 * math.pi)
        out[i] = gf[i] * d
    return out.reshape(g.shape)


# -- dropout -----------------------------------------------------------------------

def dropout(x, keep_prob):
    """(x * mask / keep_prob, mask): mask is 1 where a uniform draw is below keep_prob.
    One draw per element in C order, from NumPy's (python) or Numba's (cpu) generator,
    which `s2sgrad.set_seed` seeds alike."""
    flat = np.ascontiguousarray(x).reshape(-1)
    out = np.empty_like(flat)
    mask = np.empty_like(flat)
    scale = const_like(flat, 1.0 / keep_prob)
    one = const_like(flat, 1)
    zero = const_like(flat, 0)
    for i in range(flat.size):
        if np.random.random() < keep_prob:
            mask[i] = one
            out[i] = flat[i] * scale
        else:
            mask[i] = zero
            out[i] = zero
    return out.reshape(x.shape), mask.reshape(x.shape)


def dropout_grad(g, mask, keep_prob):
    """MindSpore's DropoutGrad: g * mask / keep_prob."""
    return g * mask * const_like(g, 1.0 / keep_prob)


# -- batch norm (channel axis 1) ------------------------------------------------------

def _channels(x):
    return np.ascontiguousarray(x).reshape((x.shape[0], x.shape[1], -1))


def batch_norm_train(x, gamma, beta, eps):
    """(y, batch mean, biased batch variance) over every axis but 1."""
    x3 = _channels(x)
    n, c, m = x3.shape
    count = n * m
    y = np.empty_like(x3)
    mean = np.empty_like(gamma)
    var = np.empty_like(gamma)
    for k in range(c):
        s = 0.0
        for i in range(n):
            for j in range(m):
                s += x3[i, k, j]
        mu = s / count
        ss = 0.0
        for i in range(n):
            for j in range(m):
                d = x3[i, k, j] - mu
                ss += d * d
        v = ss / count
        scale = gamma[k] / np.sqrt(v + eps)
        shift = beta[k] - mu * scale
        for i in range(n):
            for j in range(m):
                y[i, k, j] = x3[i, k, j] * scale + shift
        mean[k] = mu
        var[k] = v
    return y.reshape(x.shape), mean, var


def batch_norm_infer(x, gamma, beta, mean, var, eps):
    """y with given (moving) statistics."""
    x3 = _channels(x)
    n, c, m = x3.shape
    y = np.empty_like(x3)
    for k in range(c):
        scale = gamma[k] / np.sqrt(var[k] + eps)
        shift = beta[k] - mean[k] * scale
        for i in range(n):
            for j in range(m):
                y[i, k, j] = x3[i, k, j] * scale + shift
    return y.reshape(x.shape)


def batch_norm_train_dx(dy, dmean, dvar, x, gamma, mean, var, eps):
    """d/dx of batch_norm_train, including the paths through its mean and variance
    outputs (dmean, dvar; zeros when unused)."""
    x3 = _channels(x)
    dy3 = _channels(dy)
    n, c, m = x3.shape
    count = n * m
    dx = np.empty_like(dy3)
    for k in range(c):
        mu = mean[k]
        inv = 1.0 / np.sqrt(var[k] + eps)
        sdy = 0.0
        sdyx = 0.0
        for i in range(n):
            for j in range(m):
                sdy += dy3[i, k, j]
                sdyx += dy3[i, k, j] * (x3[i, k, j] - mu) * inv
        g = gamma[k] * inv
        a = sdy / count
        b = sdyx / count
        for i in range(n):
            for j in range(m):
                xc = x3[i, k, j] - mu
                dx[i, k, j] = (g * (dy3[i, k, j] - a - xc * inv * b)
                               + (dmean[k] + 2.0 * dvar[k] * xc) / count)
    return dx.reshape(x.shape)


def batch_norm_infer_dx(dy, gamma, var, eps):
    dy3 = _channels(dy)
    n, c, m = dy3.shape
    dx = np.empty_like(dy3)
    for k in range(c):
        g = gamma[k] / np.sqrt(var[k] + eps)
        for i in range(n):
            for j in range(m):
                dx[i, k, j] = dy3[i, k, j] * g
    return dx.reshape(dy.shape)


def batch_norm_dgamma(dy, x, mean, var, eps):
    """Per channel: sum(dy * (x - mean)) / sqrt(var + eps)."""
    x3 = _channels(x)
    dy3 = _channels(dy)
    n, c, m = x3.shape
    out = np.empty_like(mean)
    for k in range(c):
        mu = mean[k]
        s = 0.0
        for i in range(n):
            for j in range(m):
                s += dy3[i, k, j] * (x3[i, k, j] - mu)
        out[k] = s / np.sqrt(var[k] + eps)
    return out


def batch_norm_dbeta(dy):
    """Per channel: sum(dy)."""
    dy3 = _channels(dy)
    n, c, m = dy3.shape
    out = np.empty(c, dy3.dtype)
    for k in range(c):
        s = 0.0
        for i in range(n):
            for j in range(m):
                s += dy3[i, k, j]
        out[k] = s
    return out


# -- layer norm (rows of K elements) ----------------------------------------------------

def layer_norm(x, gamma, beta, stat_shape, eps):
    """(y, mean, biased variance); the statistics have shape `stat_shape`
    (x's shape with the normalised axes set to 1)."""
    r = 1
    for s in stat_shape:
        r *= s
    kk = x.size // r
    x2 = np.ascontiguousarray(x).reshape((r, kk))
    g = np.ascontiguousarray(gamma).reshape(-1)
    b = np.ascontiguousarray(beta).reshape(-1)
    p = g.size
    y = np.empty_like(x2)
    mean = np.empty(r, x2.dtype)
    var = np.empty(r, x2.dtype)
    for i in range(r):
        s = 0.0
        for j in range(kk):
            s += x2[i, j]
        mu = s / kk
        ss = 0.0
        for j in range(kk):
            d = x2[i, j] - mu
            ss += d * d
        v = ss / kk
        inv = 1.0 / np.sqrt(v + eps)
        base = i * kk
        for j in range(kk):
            q = (base + j) % p
            y[i, j] = (x2[i, j] - mu) * inv * g[q] + b[q]
        mean[i] = mu
        var[i] = v
    return y.reshape(x.shape), mean.reshape(stat_shape), var.reshape(stat_shape)


def layer_norm_dx(dy, dmean, dvar, x, gamma, mean, var, eps):
    """d/dx of layer_norm, including the paths through its mean and variance."""
    r = mean.size
    kk = x.size // r
    x2 = np.ascontiguousarray(x).reshape((r, kk))
    dy2 = np.ascontiguousarray(dy).reshape((r, kk))
    g = np.ascontiguousarray(gamma).reshape(-1)
    mu_ = np.ascontiguousarray(mean).reshape(-1)
    var_ = np.ascontiguousarray(var).reshape(-1)
    dm = np.ascontiguousarray(dmean).reshape(-1)
    dv = np.ascontiguousarray(dvar).reshape(-1)
    p = g.size
    dx = np.empty_like(dy2)
    for i in range(r):
        mu = mu_[i]
        inv = 1.0 / np.sqrt(var_[i] + eps)
        base = i * kk
        s1 = 0.0
        s2 = 0.0
        for j in range(kk):
            t = dy2[i, j] * g[(base + j) % p]
            s1 += t
            s2 += t * (x2[i, j] - mu) * inv
        a = s1 / kk
        b = s2 / kk
        for j in range(kk):
            xc = x2[i, j] - mu
            t = dy2[i, j] * g[(base + j) % p]
            dx[i, j] = inv * (t - a - xc * inv * b) + (dm[i] + 2.0 * dv[i] * xc) / kk
    return dx.reshape(x.shape)


def layer_norm_dgamma(dy, x, mean, var, gamma, eps):
    """sum of dy * xhat over the positions each gamma element scales."""
    r = mean.size
    kk = x.size // r
    x2 = np.ascontiguousarray(x).reshape((r, kk))
    dy2 = np.ascontiguousarray(dy).reshape((r, kk))
    mu_ = np.ascontiguousarray(mean).reshape(-1)
    var_ = np.ascontiguousarray(var).reshape(-1)
    p = gamma.size
    acc = np.zeros(p, np.float64)
    for i in range(r):
        mu = mu_[i]
        inv = 1.0 / np.sqrt(var_[i] + eps)
        base = i * kk
        for j in range(kk):
            acc[(base + j) % p] += dy2[i, j] * (x2[i, j] - mu) * inv
    return acc.astype(gamma.dtype).reshape(gamma.shape)


def layer_norm_dbeta(dy, gamma):
    """sum of dy over the positions each beta element shifts."""
    flat = np.ascontiguousarray(dy).reshape(-1)
    p = gamma.size
    acc = np.zeros(p, np.float64)
    for f in range(flat.size):
        acc[f % p] += flat[f]
    return acc.astype(gamma.dtype).reshape(gamma.shape)


def _make_jitable():
    import inspect
    from numba.extending import register_jitable
    for name, fn in list(globals().items()):
        if inspect.isfunction(fn) and fn.__module__ == __name__ and not name.startswith("_make") \
                and fn is not const_like:
            register_jitable(fn)


_make_jitable()
