"""Branches on runtime values: if/elif/else, ternaries, and/or/not, early returns,
folded conditions on self.* attributes and Python constants."""
import math

import autograd.numpy as anp
import numpy as np

from s2sgrad import nn, ops, Parameter, Tensor
from . import Case, rng, away

FEATURE = "branches"

USE_TANH = True         # a module constant: the branch on it is folded
SCALE = 3


def shifted(seed, n, mean):
    """n values with exactly the given mean (so sums are far from 0 when mean is)."""
    x = rng(seed).standard_normal(n)
    return x - x.mean() + mean


# 1. if/else on x.sum() > 0
def br_sum_sign(x):
    if x.sum() > 0:
        y = x * 2.0
    else:
        y = x * x
    return y.sum()


def br_sum_sign_ag(x):
    if anp.sum(x) > 0:
        y = x * 2.0
    else:
        y = x * x
    return anp.sum(y)


# 2. if a > b on scalars computed from two inputs
def br_compare_two(a, b):
    s = a.sum()
    t = b.mean()
    if s > t:
        out = a * t + b.sum()
    else:
        out = a * s - b.sum()
    return out


def br_compare_two_ag(a, b):
    s = anp.sum(a)
    t = anp.mean(b)
    if s > t:
        out = a * t + anp.sum(b)
    else:
        out = a * s - anp.sum(b)
    return out


# 3. elif chain on the mean
def br_elif_chain(x):
    m = x.mean()
    if m > 1.0:
        y = np.exp(x)
    elif m > 0.0:
        y = x * x * x
    elif m > -1.0:
        y = np.tanh(x)
    else:
        y = -x * m
    return y


def br_elif_chain_ag(x):
    m = anp.mean(x)
    if m > 1.0:
        y = anp.exp(x)
    elif m > 0.0:
        y = x * x * x
    elif m > -1.0:
        y = anp.tanh(x)
    else:
        y = -x * m
    return y


# 4. ternary on a runtime value
def br_ternary(x):
    y = x * 2.0 if x.sum() > 0 else -x
    return (y * y).sum()


def br_ternary_ag(x):
    y = x * 2.0 if anp.sum(x) > 0 else -x
    return anp.sum(y * y)


# 5. and / or in a condition
def br_and_or(x, y):
    sx = x.sum()
    sy = y.sum()
    if sx > 0 and sy < 0:
        z = x * y
    elif sx < 0 or sy < 0:
        z = x - y
    else:
        z = x + y * y
    return z.sum()


# 6. not in a condition
def br_not(x):
    m = x.mean()
    if not m > 0.5:
        r = np.exp(x).sum()
    else:
        r = (x * x).sum()
    return r


# 7. early return inside a branch
def br_early_return(x):
    s = x.sum()
    if s < 0:
        return (x * x).sum()
    y = np.tanh(x) * s
    return y.sum()


def br_early_return_ag(x):
    s = anp.sum(x)
    if s < 0:
        return anp.sum(x * x)
    y = anp.tanh(x) * s
    return anp.sum(y)


# 8. returns in both branches
def br_return_both(x, w):
    if (x * w).sum() > 1.0:
        return np.log(x * x + 1.0) * w
    else:
        return x * w * w


# 9. condition on a Python constant (folded)
def br_module_constant(x):
    if USE_TANH:
        y = np.tanh(x)
    else:
        y = x
    if SCALE > 2:
        y = y * SCALE
    return y


# 10. condition on self.* attributes (folded)
class BrFlagCell(nn.Cell):
    def __init__(self, square, offset):
        super().__init__()
        self.square = square
        self.offset = offset
        self.w = Parameter(Tensor(rng(100).standard_normal(4)), name="w")

    def construct(self, x):
        y = x * self.w
        if self.square:
            y = y * y
        else:
            y = np.exp(y)
        if self.offset > 0:
            y = y + self.offset
        return y.sum()


br_flag_cell_square = BrFlagCell(True, 2.0)
br_flag_cell_exp = BrFlagCell(False, 0.0)


# 11. two variables assigned in both branches
def br_two_vars(x, y):
    if x.sum() > y.sum():
        a = x * 2.0
        b = y + 1.0
    else:
        a = y * 3.0
        b = x - 1.0
    return (a * b).sum()


def br_two_vars_ag(x, y):
    if anp.sum(x) > anp.sum(y):
        a = x * 2.0
        b = y + 1.0
    else:
        a = y * 3.0
        b = x - 1.0
    return anp.sum(a * b)


# 12. nested ifs
def br_nested(x):
    s = x.sum()
    m = x[0]
    if s > 0:
        if m > 0:
            r = s * m
        else:
            r = s - m * m
    else:
        if m > 0:
            r = s * s + m
        else:
            r = -s * m
    return r


def br_nested_ag(x):
    s = anp.sum(x)
    m = x[0]
    if s > 0:
        if m > 0:
            r = s * m
        else:
            r = s - m * m
    else:
        if m > 0:
            r = s * s + m
        else:
            r = -s * m
    return r


# 13. scalar absolute value by hand
def br_scalar_abs(x, y):
    d = x.sum() - y.sum()
    if d > 0:
        r = d
    else:
        r = -d
    return r * x + y


# 14. branch on comparing two elements
def br_elements(x):
    if x[0] > x[1]:
        y = x * x[0]
    else:
        y = x * x[1]
    return y.sum()


def br_elements_ag(x):
    if x[0] > x[1]:
        y = x * x[0]
    else:
        y = x * x[1]
    return anp.sum(y)


# 15. array computed in a branch, used after it
def br_then_continue(x, w):
    h = x @ w
    if h.sum() > 0:
        h = np.tanh(h)
    else:
        h = h * 0.5
    out = h @ w.T
    return out.mean()


# 16. constant picked by a ternary, applied to an array
def br_ternary_constant(x):
    c = 2.0 if x.sum() > 0 else 3.0
    return x * c + x * x


# 17. if without else
def br_if_no_else(x):
    y = x * 1.5
    if x.mean() > 0.2:
        y = y * y
    return y.sum()


def br_if_no_else_ag(x):
    y = x * 1.5
    if anp.mean(x) > 0.2:
        y = y * y
    return anp.sum(y)


# 18. nested ternaries
def br_ternary_nested(x):
    s = x.sum()
    k = s * s if s > 1.0 else (s * 2.0 if s > -1.0 else -s)
    return k * x


def br_ternary_nested_ag(x):
    s = anp.sum(x)
    k = s * s if s > 1.0 else (s * 2.0 if s > -1.0 else -s)
    return k * x


# 19. condition on a Python int argument (static)
def br_int_arg(x, mode):
    if mode == 1:
        y = x * x
    elif mode == 2:
        y = np.exp(x)
    else:
        y = x
    return y.sum()


# 20. condition on a static shape
def br_static_shape(x):
    if x.shape[0] > 3:
        y = x[:3] * x[1:4]
    else:
        y = x * x
    return y.sum()


# 21. scalar accumulated across branches
def br_accumulate(x, y):
    s = 0.0
    if x.sum() > 0:
        s = s + (x * x).sum()
    if y.sum() > 0:
        s = s + (y * x).sum()
    else:
        s = s - y.mean()
    return s


def br_accumulate_ag(x, y):
    s = 0.0
    if anp.sum(x) > 0:
        s = s + anp.sum(x * x)
    if anp.sum(y) > 0:
        s = s + anp.sum(y * x)
    else:
        s = s - anp.mean(y)
    return s


# 22. tuple assigned in both branches
def br_tuple_swap(x, y):
    if x.mean() > y.mean():
        a, b = x, y
    else:
        a, b = y, x
    return (a * a * b).sum()


# 23. three conditions combined
def br_three_conditions(x):
    a = x[0]
    b = x[1]
    c = x[2]
    if (a > 0 and b > 0) or c > 1.0:
        r = a * b + c
    elif not (a < 0):
        r = a * c
    else:
        r = b * c * c
    return r


def br_three_conditions_ag(x):
    a = x[0]
    b = x[1]
    c = x[2]
    if (a > 0 and b > 0) or c > 1.0:
        r = a * b + c
    elif not (a < 0):
        r = a * c
    else:
        r = b * c * c
    return r


# 24. the condition uses a value computed in an earlier branch
def br_cond_chain(x):
    if x.sum() > 0:
        t = x.sum() * 2.0
    else:
        t = x.sum() - 1.0
    if t > 3.0:
        y = x * t
    else:
        y = x / (t * t + 1.0)
    return y.sum()


# 25. piecewise scalar function (smooth pieces, away from the breakpoints)
def br_piecewise(x):
    s = x.sum()
    if s < -1.0:
        v = -s - 0.5
    elif s < 1.0:
        v = 0.5 * s * s
    else:
        v = s - 0.5
    return v * x.mean()


def br_piecewise_ag(x):
    s = anp.sum(x)
    if s < -1.0:
        v = -s - 0.5
    elif s < 1.0:
        v = 0.5 * s * s
    else:
        v = s - 0.5
    return v * anp.mean(x)


# 26. branch choosing between matrix products
def br_matmul_choice(x, w1, w2):
    if (x @ w1).sum() > (x @ w2).sum():
        h = x @ w1
    else:
        h = x @ w2
    return (h * h).sum()


# 27. a range test written with `and` (chained comparisons `a < m < b` are refused)
def br_range_test(x):
    m = x.mean()
    if m > -0.5 and m < 0.5:
        y = x * x
    else:
        y = x * m
    return y.sum()


# 28. early return from a nested branch
def br_nested_early_return(x, y):
    if x.sum() > 0:
        if y.sum() > 0:
            return (x * y).sum()
        z = x - y
    else:
        z = x + y
    return (z * z).sum()


def br_nested_early_return_ag(x, y):
    if anp.sum(x) > 0:
        if anp.sum(y) > 0:
            return anp.sum(x * y)
        z = x - y
    else:
        z = x + y
    return anp.sum(z * z)


# 29. comparing against ops reductions
reduce_sum = ops.ReduceSum()


def br_ops_condition(x):
    total = reduce_sum(x)
    if total > 1.0:
        y = ops.exp(x * 0.5)
    else:
        y = ops.tanh(x)
    return y


def pos(seed, n, mean):
    return lambda: (shifted(seed, n, mean),)


CASES = [
    Case("br_sum_sign_then", br_sum_sign, pos(1, 5, 0.6), br_sum_sign_ag),
    Case("br_sum_sign_else", br_sum_sign, pos(2, 5, -0.6), br_sum_sign_ag),
    Case("br_compare_two", br_compare_two, lambda: (shifted(3, 4, 0.5), shifted(4, 3, -0.5)), br_compare_two_ag),
    Case("br_elif_chain_first", br_elif_chain, pos(5, 6, 1.5), br_elif_chain_ag),
    Case("br_elif_chain_third", br_elif_chain, pos(6, 6, -0.5), br_elif_chain_ag),
    Case("br_elif_chain_last", br_elif_chain, pos(7, 6, -1.5), br_elif_chain_ag),
    Case("br_ternary", br_ternary, pos(8, 5, -0.4), br_ternary_ag),
    Case("br_and_or", br_and_or, lambda: (shifted(9, 4, 0.5), shifted(10, 4, -0.5))),
    Case("br_not", br_not, pos(11, 5, 0.1)),
    Case("br_early_return_taken", br_early_return, pos(12, 5, -0.5), br_early_return_ag),
    Case("br_early_return_not_taken", br_early_return, pos(13, 5, 0.5), br_early_return_ag),
    Case("br_return_both", br_return_both, lambda: (shifted(14, 4, 1.0), np.abs(rng(15).standard_normal(4)) + 0.5)),
    Case("br_module_constant", br_module_constant, lambda: (rng(16).standard_normal((2, 3)),)),
    Case("br_flag_cell_square", br_flag_cell_square, lambda: (rng(17).standard_normal(4),), check_params=True),
    Case("br_flag_cell_exp", br_flag_cell_exp, lambda: (rng(18).standard_normal(4),), check_params=True),
    Case("br_two_vars", br_two_vars, lambda: (shifted(19, 3, -0.5), shifted(20, 3, 0.5)), br_two_vars_ag),
    Case("br_nested", br_nested, lambda: (np.array([-0.7, 0.3, -0.4, 0.2]),), br_nested_ag),
    Case("br_scalar_abs", br_scalar_abs, lambda: (shifted(21, 3, -0.4), shifted(22, 3, 0.4))),
    Case("br_elements", br_elements, lambda: (np.array([0.2, 0.9, -0.3]),), br_elements_ag),
    Case("br_then_continue", br_then_continue, lambda: (rng(23).standard_normal((3, 4)), rng(24).standard_normal((4, 2)))),
    Case("br_ternary_constant", br_ternary_constant, pos(25, 4, -0.3)),
    Case("br_if_no_else", br_if_no_else, pos(26, 5, 0.6), br_if_no_else_ag),
    Case("br_ternary_nested", br_ternary_nested, pos(27, 4, 0.1), br_ternary_nested_ag),
    Case("br_int_arg", br_int_arg, lambda: (rng(28).standard_normal(4), 2)),
    Case("br_static_shape", br_static_shape, lambda: (rng(29).standard_normal(5),)),
    Case("br_accumulate", br_accumulate, lambda: (shifted(30, 4, 0.3), shifted(31, 4, -0.3)), br_accumulate_ag),
    Case("br_tuple_swap", br_tuple_swap, lambda: (shifted(32, 4, -0.2), shifted(33, 4, 0.4))),
    Case("br_three_conditions", br_three_conditions, lambda: (np.array([0.6, -0.8, 0.4]),), br_three_conditions_ag),
    Case("br_cond_chain", br_cond_chain, pos(34, 4, 0.6)),
    Case("br_piecewise", br_piecewise, pos(35, 5, 0.1), br_piecewise_ag),
    Case("br_matmul_choice", br_matmul_choice,
         lambda: (rng(36).standard_normal((2, 3)), rng(37).standard_normal((3, 3)), rng(38).standard_normal((3, 3)))),
    Case("br_range_test", br_range_test, pos(39, 5, 0.2)),
    Case("br_nested_early_return", br_nested_early_return, lambda: (shifted(40, 3, 0.4), shifted(41, 3, -0.4)),
         br_nested_early_return_ag),
    Case("br_ops_condition", br_ops_condition, pos(42, 4, 0.6)),
]
