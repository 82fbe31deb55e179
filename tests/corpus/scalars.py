"""Scalar math: Python floats and ints, math.exp/log/sqrt/sin/cos/tan/tanh/pow on
scalars, abs, min/max of two scalars, NumPy functions applied to scalars."""
import math

import autograd.numpy as anp
import numpy as np

from . import Case, rng, away

FEATURE = "scalars"


# 1. math.exp and math.log on elements
def sc_exp_log(x):
    a = x[0]
    b = x[1]
    return math.exp(a) * math.log(b * b + 1.0) - math.exp(-b)


def sc_exp_log_ag(x):
    a = x[0]
    b = x[1]
    return anp.exp(a) * anp.log(b * b + 1.0) - anp.exp(-b)


# 2. trigonometry
def sc_trig(x):
    a = x[0]
    return math.sin(a) * math.cos(x[1]) + math.tan(x[2]) * 0.5


def sc_trig_ag(x):
    a = x[0]
    return anp.sin(a) * anp.cos(x[1]) + anp.tan(x[2]) * 0.5


# 3. math.sqrt of a sum of squares (hypot)
def sc_hypot(v):
    return math.sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2])


def sc_hypot_ag(v):
    return anp.sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2])


# 4. math.tanh and math.pow
def sc_tanh_pow(x):
    t = math.tanh(x[0] * 0.5)
    return math.pow(x[1], 3.0) + math.pow(t + 2.0, 1.5)


def sc_tanh_pow_ag(x):
    t = anp.tanh(x[0] * 0.5)
    return x[1] ** 3.0 + (t + 2.0) ** 1.5


# 5. abs of a difference (away from 0)
def sc_abs(x):
    return abs(x[0] - x[1]) * x[2] + abs(x[2])


def sc_abs_ag(x):
    return anp.abs(x[0] - x[1]) * x[2] + anp.abs(x[2])


# 6. min and max of two scalars
def sc_min_max(x):
    lo = min(x[0], x[1])
    hi = max(x[2], x[3])
    return lo * hi + max(lo, 0.1) - min(hi, 2.0)


def sc_min_max_ag(x):
    lo = anp.minimum(x[0], x[1])
    hi = anp.maximum(x[2], x[3])
    return lo * hi + anp.maximum(lo, 0.1) - anp.minimum(hi, 2.0)


# 7. NumPy functions on scalars
def sc_numpy_on_scalars(x):
    a = x[0]
    b = np.exp(a) + np.tanh(x[1])
    return np.sqrt(b * b + 1.0) * np.log(x[2] * x[2] + 2.0)


def sc_numpy_on_scalars_ag(x):
    a = x[0]
    b = anp.exp(a) + anp.tanh(x[1])
    return anp.sqrt(b * b + 1.0) * anp.log(x[2] * x[2] + 2.0)


# 8. Python int and float constants mixed
def sc_int_float_mix(x):
    a = x[0]
    return 2 * a + 3 / (a * a + 1) - a ** 2 + 0.5 * a ** 3 + 1


def sc_int_float_mix_ag(x):
    a = x[0]
    return 2 * a + 3 / (a * a + 1) - a ** 2 + 0.5 * a ** 3 + 1


# 9. a Python float argument
def sc_float_arg(x, alpha):
    s = x.sum()
    return s * alpha + math.exp(s * alpha * 0.1)


# 10. logistic sigmoid written out
def sc_sigmoid(x):
    z = x[0] * 2.0 - x[1]
    return 1.0 / (1.0 + math.exp(-z))


def sc_sigmoid_ag(x):
    z = x[0] * 2.0 - x[1]
    return 1.0 / (1.0 + anp.exp(-z))


# 11. a scalar scaling an array
def sc_scale_array(x):
    s = math.exp(x[0]) + math.cos(x[1])
    return x * s


def sc_scale_array_ag(x):
    s = anp.exp(x[0]) + anp.cos(x[1])
    return x * s


# 12. float() of a 0-d reduction
def sc_float_of_sum(x):
    s = float(x.sum())
    return s * s * x


# 13. logistic map iterated with scalars
def sc_logistic_map(x):
    r = 3.2 + x[1] * 0.1
    p = x[0]
    for i in range(10):
        p = r * p * (1.0 - p)
    return p


def sc_logistic_map_ag(x):
    r = 3.2 + x[1] * 0.1
    p = x[0]
    for i in range(10):
        p = r * p * (1.0 - p)
    return p


# 14. scalar power with a float exponent
def sc_pow_float(x):
    return (x[0] * x[0] + 1.0) ** 0.75 + x[1] ** 4


# 15. scalar division and negation
def sc_div_neg(x):
    a = x[0]
    b = x[1]
    return -a / b + (a - b) / (a * a + b * b)


def sc_div_neg_ag(x):
    a = x[0]
    b = x[1]
    return -a / b + (a - b) / (a * a + b * b)


# 16. softplus written with math
def sc_softplus(x):
    s = 0.0
    for i in range(x.shape[0]):
        s += math.log(1.0 + math.exp(x[i]))
    return s


# 17. an int loop counter mixed with float constants
def sc_int_times_float(x):
    s = 0.0
    for i in range(x.shape[0]):
        w = i * 0.5 + 1.0
        s += w * x[i]
    return s


def sc_int_times_float_ag(x):
    s = 0.0
    for i in range(x.shape[0]):
        w = i * 0.5 + 1.0
        s = s + w * x[i]
    return s


# 18. integer arithmetic on loop counters used as indices
def sc_int_arith(x):
    n = x.shape[0]
    s = 0.0
    for i in range(n - 1):
        j = n - 1 - i
        k = 2 * i - i + 1
        s += x[j] * x[k] * (i + 1)
    return s


# 19. constants defined in the function and reused
def sc_constants(x):
    pi = 3.141592653589793
    two = 2
    half = 0.5
    return math.sin(pi * x[0] * half) * two + math.cos(x[1] / two)


# 20. a 0-d scalar reduction fed into math
def sc_reduction_into_math(x):
    m = x.mean()
    v = ((x - m) * (x - m)).mean()
    return math.sqrt(v + 1e-3) + math.log(1.0 + m * m)


def sc_reduction_into_math_ag(x):
    m = anp.mean(x)
    v = anp.mean((x - m) * (x - m))
    return anp.sqrt(v + 1e-3) + anp.log(1.0 + m * m)


# 21. np.maximum / np.minimum on scalars
def sc_np_max_min(x):
    return np.maximum(x[0], x[1]) * np.minimum(x[2], 0.0)


# 22. scalar augmented assignments of every kind
def sc_augmented(x):
    s = x[0]
    s += x[1]
    s *= x[2]
    s -= 0.5
    s /= x[3] * x[3] + 1.0
    return s


def sc_augmented_ag(x):
    s = x[0]
    s = s + x[1]
    s = s * x[2]
    s = s - 0.5
    s = s / (x[3] * x[3] + 1.0)
    return s


def sc_unit_ode(x0, a, b):
    """W3 with (1,) arrays, as MindSpore users write scalars (Tensor([0.7])): numbers inside."""
    x = x0
    for _ in range(30):
        x = x + 0.05 * (a * x - b * x ** 3)
    return x * x


def sc_unit_ode_ag(x0, a, b):
    x = x0
    for _ in range(30):
        x = x + 0.05 * (a * x - b * x ** 3)
    return x * x


def sc_unit_mixed(x, w):
    """A (1,) value used every way: elementwise, broadcast against a vector, summed, averaged,
    indexed, and compared in a branch."""
    y = x * 2.0 + 1.0
    z = np.tanh(y) * w
    s = np.sum(y)
    q = y.mean()
    if y[0] > 0.0:
        q = q * y[0]
    return np.sum(z) * s + q + y[0]


def sc_unit_mixed_ag(x, w):
    y = x * 2.0 + 1.0
    z = anp.tanh(y) * w
    s = anp.sum(y)
    q = anp.mean(y)
    if y[0] > 0.0:
        q = q * y[0]
    return anp.sum(z) * s + q + y[0]


CASES = [
    Case("sc_exp_log", sc_exp_log, lambda: (rng(1).standard_normal(2),), sc_exp_log_ag),
    Case("sc_trig", sc_trig, lambda: (np.array([0.3, -0.7, 0.4]),), sc_trig_ag),
    Case("sc_hypot", sc_hypot, lambda: (rng(2).standard_normal(3),), sc_hypot_ag),
    Case("sc_tanh_pow", sc_tanh_pow, lambda: (np.array([0.4, 1.3]),), sc_tanh_pow_ag),
    Case("sc_abs", sc_abs, lambda: (np.array([0.3, 0.9, -0.6]),), sc_abs_ag),
    Case("sc_min_max", sc_min_max, lambda: (np.array([0.5, 0.8, 1.5, 1.1]),), sc_min_max_ag),
    Case("sc_numpy_on_scalars", sc_numpy_on_scalars, lambda: (rng(3).standard_normal(3),), sc_numpy_on_scalars_ag),
    Case("sc_int_float_mix", sc_int_float_mix, lambda: (np.array([0.7]),), sc_int_float_mix_ag),
    Case("sc_float_arg", sc_float_arg, lambda: (rng(4).standard_normal(3), 1.7)),
    Case("sc_sigmoid", sc_sigmoid, lambda: (np.array([0.3, -0.2]),), sc_sigmoid_ag),
    Case("sc_scale_array", sc_scale_array, lambda: (rng(5).standard_normal(4),), sc_scale_array_ag),
    Case("sc_float_of_sum", sc_float_of_sum, lambda: (rng(6).standard_normal(3),)),
    Case("sc_logistic_map", sc_logistic_map, lambda: (np.array([0.3, 0.5]),), sc_logistic_map_ag),
    Case("sc_pow_float", sc_pow_float, lambda: (np.array([0.6, -0.9]),)),
    Case("sc_div_neg", sc_div_neg, lambda: (np.array([0.8, -1.3]),), sc_div_neg_ag),
    Case("sc_softplus", sc_softplus, lambda: (rng(7).standard_normal(5),)),
    Case("sc_int_times_float", sc_int_times_float, lambda: (rng(8).standard_normal(5),), sc_int_times_float_ag),
    Case("sc_int_arith", sc_int_arith, lambda: (rng(9).standard_normal(5),)),
    Case("sc_constants", sc_constants, lambda: (np.array([0.3, 0.8]),)),
    Case("sc_reduction_into_math", sc_reduction_into_math, lambda: (rng(10).standard_normal(5),),
         sc_reduction_into_math_ag),
    Case("sc_np_max_min", sc_np_max_min, lambda: (np.array([0.2, 0.9, -0.4]),)),
    Case("sc_augmented", sc_augmented, lambda: (rng(11).standard_normal(4),), sc_augmented_ag),
    Case("sc_unit_ode", sc_unit_ode, lambda: (np.array([0.7]), np.array([0.9]), np.array([0.4])), sc_unit_ode_ag),
    Case("sc_unit_mixed", sc_unit_mixed, lambda: (np.array([0.3]), rng(12).standard_normal(3)), sc_unit_mixed_ag),
]
