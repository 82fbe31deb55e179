"""Scalar device functions that fused kernels call for elementwise primitives whose
plain `math` form differs from NumPy at the edges (log(0), exp overflow, NaN in
max/min, half-to-even rounding). On a GPU most branches are never taken; under the
simulator, where `math` raises instead of returning inf/NaN, they keep NumPy's answers."""
import math

from numba import cuda


@cuda.jit(device=True)
def d_exp(x):
    if x > 709.0:
        return math.inf
    return math.exp(x)


@cuda.jit(device=True)
def d_log(x):
    if x > 0:
        return math.log(x)
    if x == 0:
        return -math.inf
    return math.nan


@cuda.jit(device=True)
def d_sqrt(x):
    if x >= 0:
        return math.sqrt(x)
    return math.nan


@cuda.jit(device=True)
def d_relu(x):
    return x if not x < 0 else x - x


@cuda.jit(device=True)
def d_sigmoid(x):
    return 1.0 / (1.0 + d_exp(-x))


@cuda.jit(device=True)
def d_max(a, b):
    return a if (a >= b or a != a) else b


@cuda.jit(device=True)
def d_min(a, b):
    return a if (a <= b or a != a) else b


@cuda.jit(device=True)
def d_sign(x):
    if x > 0:
        return 1.0
    if x < 0:
        return -1.0
    return x * 1.0


@cuda.jit(device=True)
def d_floor(x):
    if x != x or x == math.inf or x == -math.inf:
        return x * 1.0
    return math.floor(x) * 1.0


@cuda.jit(device=True)
def d_round(x):
    """Half to even, as np.round / np.rint."""
    if x != x or x == math.inf or x == -math.inf:
        return x * 1.0
    r = math.floor(x + 0.5) * 1.0
    if r - x == 0.5 and r % 2 != 0:
        r -= 1.0
    return r


@cuda.jit(device=True)
def d_log_or_zero(x, z):
    """z * log(x), and 0 where x == 0 (MindSpore's Pow exponent gradient)."""
    return z * d_log(x if x != 0 else 1.0)


@cuda.jit(device=True)
def d_erf(x):
    return math.erf(x)


@cuda.jit(device=True)
def d_tan(x):
    return math.tan(x)


@cuda.jit(device=True)
def d_pow(a, b):
    return a ** b


_GELU_C = math.sqrt(2.0 / math.pi)


@cuda.jit(device=True)
def d_gelu(x, approximate):
    """kernels_norm.gelu for one element, in float64 as there."""
    v = float(x)
    if approximate:
        return 0.5 * v * (1.0 + math.tanh(_GELU_C * (v + 0.044715 * v * v * v)))
    return 0.5 * v * (1.0 + math.erf(v / math.sqrt(2.0)))


@cuda.jit(device=True)
def d_gelu_grad(g, x, approximate):
    """kernels_norm.gelu_grad for one element."""
    v = float(x)
    if approximate:
        t = math.tanh(_GELU_C * (v + 0.044715 * v * v * v))
        d = 0.5 * (1.0 + t) + 0.5 * v * (1.0 - t * t) * _GELU_C * (1.0 + 3.0 * 0.044715 * v * v)
    else:
        d = 0.5 * (1.0 + math.erf(v / math.sqrt(2.0))) + v * math.exp(-0.5 * v * v) / math.sqrt(2.0 * math.pi)
    return g * d


NAMESPACE = {name: fn for name, fn in globals().items() if name.startswith("d_")}
