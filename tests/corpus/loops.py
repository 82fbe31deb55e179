"""Loops: for over runtime ranges (start, stop, step), while with runtime conditions,
break, continue, nested loops, data-dependent trip counts, loop-carried scalars,
arrays and tuples, accumulation, arrays overwritten each iteration, and loops over
tuples of cells / SequentialCell (unrolled)."""
import math

import autograd.numpy as anp
import numpy as np

import s2sgrad as ms
from s2sgrad import nn, ops, Parameter, Tensor
from . import Case, rng, away

FEATURE = "loops"


# 1. accumulate over range(x.shape[0])
def lp_sum_squares(x):
    s = 0.0
    for i in range(x.shape[0]):
        s += x[i] * x[i]
    return s


def lp_sum_squares_ag(x):
    s = 0.0
    for i in range(x.shape[0]):
        s += x[i] * x[i]
    return s


# 2. range(len(x)) over two inputs
def lp_dot_len(x, w):
    s = 0.0
    for i in range(len(x)):
        s = s + x[i] * w[i] * w[i]
    return s


def lp_dot_len_ag(x, w):
    s = 0.0
    for i in range(len(x)):
        s = s + x[i] * w[i] * w[i]
    return s


# 3. range with a step
def lp_step(x):
    s = 0.0
    for i in range(0, x.shape[0] - 1, 2):
        s += x[i] * x[i + 1]
    return s


def lp_step_ag(x):
    s = 0.0
    for i in range(0, x.shape[0] - 1, 2):
        s += x[i] * x[i + 1]
    return s


# 4. runtime start and stop
def lp_start_stop(x):
    n = x.shape[0]
    s = 0.0
    for i in range(1, n - 1):
        s += x[i - 1] * x[i + 1] - x[i]
    return s


# 5. triangular nested loop range(i + 1, n)
def lp_triangular(x):
    n = x.shape[0]
    s = 0.0
    for i in range(n):
        for j in range(i + 1, n):
            s += x[i] * x[j] * (j - i)
    return s


def lp_triangular_ag(x):
    n = x.shape[0]
    s = 0.0
    for i in range(n):
        for j in range(i + 1, n):
            s += x[i] * x[j] * (j - i)
    return s


# 6. while with a data-dependent trip count
def lp_while_grow(x):
    y = x * 1.0
    k = 0
    while y.sum() < 20.0:
        y = y * 1.5 + 0.1
        k += 1
    return y * k


def lp_while_grow_ag(x):
    y = x * 1.0
    k = 0
    while anp.sum(y) < 20.0:
        y = y * 1.5 + 0.1
        k += 1
    return y * k


# 7. break on a runtime condition
def lp_break(x):
    s = 0.0
    for i in range(x.shape[0]):
        if x[i] > 1.0:
            break
        s += x[i] * x[i]
    return s


def lp_break_ag(x):
    s = 0.0
    for i in range(x.shape[0]):
        if x[i] > 1.0:
            break
        s += x[i] * x[i]
    return s


# 8. continue on a runtime condition
def lp_continue(x):
    s = 0.0
    for i in range(len(x)):
        if x[i] < 0:
            continue
        s += x[i] ** 2 + x[i]
    return s


def lp_continue_ag(x):
    s = 0.0
    for i in range(len(x)):
        if x[i] < 0:
            continue
        s += x[i] ** 2 + x[i]
    return s


# 9. array overwritten each iteration
def lp_overwrite_tanh(h, w):
    for _ in range(4):
        h = np.tanh(h @ w)
    return h.sum()


def lp_overwrite_tanh_ag(h, w):
    for _ in range(4):
        h = anp.tanh(anp.dot(h, w))
    return anp.sum(h)


# 10. runtime-length RNN over the rows of the input
def lp_rnn(xs, wx, wh):
    h = np.zeros(wh.shape[0])
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] @ wx + h @ wh)
    return h


def lp_rnn_ag(xs, wx, wh):
    h = anp.zeros(wh.shape[0])
    for t in range(xs.shape[0]):
        h = anp.tanh(anp.dot(xs[t], wx) + anp.dot(h, wh))
    return h


# 11. tuple of arrays carried around the loop
def lp_tuple_carry(a, b):
    for i in range(a.shape[0]):
        a, b = b, a * 0.5 + b * 0.3
    return (a * b).sum()


def lp_tuple_carry_ag(a, b):
    for i in range(a.shape[0]):
        a, b = b, a * 0.5 + b * 0.3
    return anp.sum(a * b)


# 12. two loop-carried scalars
def lp_two_scalars(x):
    s = 0.0
    p = 1.0
    for i in range(x.shape[0]):
        s = s + x[i] * p
        p = p * 0.9 + x[i] * 0.1
    return s * p


def lp_two_scalars_ag(x):
    s = 0.0
    p = 1.0
    for i in range(x.shape[0]):
        s = s + x[i] * p
        p = p * 0.9 + x[i] * 0.1
    return s * p


# 13. loop over a tuple of cells (unrolled)
def dense64(n_in, n_out, seed, activation=None):
    r = rng(seed)
    return nn.Dense(n_in, n_out, weight_init=Tensor(r.standard_normal((n_out, n_in)) * 0.5),
                    bias_init=Tensor(r.standard_normal(n_out) * 0.1), dtype=ms.float64, activation=activation)


class LpLayerTuple(nn.Cell):
    def __init__(self):
        super().__init__()
        self.l1 = dense64(3, 4, 200)
        self.l2 = dense64(4, 4, 201)
        self.l3 = dense64(4, 2, 202)
        self.layers = (self.l1, self.l2, self.l3)
        self.act = nn.Tanh()

    def construct(self, x):
        for layer in self.layers:
            x = self.act(layer(x))
        return x


lp_layer_tuple = LpLayerTuple()


# 14. SequentialCell
lp_sequential = nn.SequentialCell([dense64(3, 5, 203), nn.Sigmoid(), dense64(5, 4, 204), nn.Tanh(),
                                   dense64(4, 1, 205)])


# 15. Newton iterations for the square root, counted by a while loop
def lp_newton_sqrt(a):
    y = a * 0.5 + 0.5
    i = 0
    while i < 6:
        y = 0.5 * (y + a / y)
        i += 1
    return y


def lp_newton_sqrt_ag(a):
    y = a * 0.5 + 0.5
    i = 0
    while i < 6:
        y = 0.5 * (y + a / y)
        i += 1
    return y


# 16. power iteration with normalisation
def lp_power_iteration(a, v):
    for k in range(5):
        v = a @ v
        v = v / np.sqrt((v * v).sum())
    return v


def lp_power_iteration_ag(a, v):
    for k in range(5):
        v = anp.dot(a, v)
        v = v / anp.sqrt(anp.sum(v * v))
    return v


# 17. trip count computed from a value: range(int(s))
def lp_int_trip(x):
    n = int(x.sum())
    y = x * 1.0
    for i in range(n):
        y = y * 0.8 + x * x * 0.1
    return y


# 18. accumulate an array with an int loop index
def lp_accumulate_array(x):
    acc = x * 0.0
    for i in range(1, x.shape[0] + 1):
        acc += x * i + x * x / i
    return acc


def lp_accumulate_array_ag(x):
    acc = x * 0.0
    for i in range(1, x.shape[0] + 1):
        acc = acc + x * i + x * x / i
    return acc


# 19. negative step
def lp_reverse(x):
    s = 0.0
    for i in range(x.shape[0] - 1, -1, -1):
        s = s * 0.7 + x[i]
    return s * s


def lp_reverse_ag(x):
    s = 0.0
    for i in range(x.shape[0] - 1, -1, -1):
        s = s * 0.7 + x[i]
    return s * s


# 20. product of elements
def lp_product(x):
    p = 1.0
    for i in range(len(x)):
        p *= x[i]
    return p


def lp_product_ag(x):
    p = 1.0
    for i in range(len(x)):
        p = p * x[i]
    return p


# 21. running maximum (no ties)
def lp_running_max(x):
    m = x[0]
    for i in range(1, x.shape[0]):
        if x[i] > m:
            m = x[i]
    return m * x.sum()


# 22. log-sum-exp by loops
def lp_logsumexp(x):
    m = x[0]
    for i in range(1, len(x)):
        m = max(m, x[i])
    s = 0.0
    for i in range(len(x)):
        s += math.exp(x[i] - m)
    return m + math.log(s)


def lp_logsumexp_ag(x):
    m = x[0]
    for i in range(1, len(x)):
        m = max(m, x[i])
    s = 0.0
    for i in range(len(x)):
        s = s + anp.exp(x[i] - m)
    return m + anp.log(s)


# 23. break out of the inner of two loops
def lp_nested_break(a):
    s = 0.0
    for i in range(a.shape[0]):
        for j in range(a.shape[1]):
            if a[i, j] < -0.8:
                break
            s += a[i, j] * (i + 1)
    return s


def lp_nested_break_ag(a):
    s = 0.0
    for i in range(a.shape[0]):
        for j in range(a.shape[1]):
            if a[i, j] < -0.8:
                break
            s += a[i, j] * (i + 1)
    return s


# 24. while until a residual is small
def lp_while_halve(x):
    r = (x * x).sum()
    y = x * 1.0
    while r > 0.05:
        y = y * 0.5
        r = (y * y).sum()
    return y + r


# 25. unrolled gradient-descent steps
def lp_descent(w, target):
    for step in range(8):
        g = 2.0 * (w - target) + 0.1 * w * w * w
        w = w - 0.1 * g
    return (w * w).sum()


def lp_descent_ag(w, target):
    for step in range(8):
        g = 2.0 * (w - target) + 0.1 * w * w * w
        w = w - 0.1 * g
    return anp.sum(w * w)


# 26. loops inside both branches
def lp_loop_in_branch(x):
    s = 0.0
    if x.sum() > 0:
        for i in range(x.shape[0]):
            s += x[i] * x[i]
    else:
        for i in range(x.shape[0]):
            s -= x[i] * 3.0
    return s


# 27. branch inside a loop
def lp_branch_in_loop(x):
    s = 0.0
    for i in range(x.shape[0]):
        if x[i] > 0:
            s += x[i]
        else:
            s -= 0.5 * x[i] * x[i]
    return s


def lp_branch_in_loop_ag(x):
    s = 0.0
    for i in range(x.shape[0]):
        if x[i] > 0:
            s += x[i]
        else:
            s -= 0.5 * x[i] * x[i]
    return s


# 28. leaving a loop early with a result (a `return` inside a loop is refused, see test_refusals.py)
def lp_return_in_loop(x):
    s = 0.0
    result = 0.0
    found = False
    for i in range(x.shape[0]):
        s += x[i] * x[i]
        if s > 2.0:
            result = s * x[i]
            found = True
            break
    if not found:
        result = s
    return result


def lp_return_in_loop_ag(x):
    s = 0.0
    for i in range(x.shape[0]):
        s += x[i] * x[i]
        if s > 2.0:
            return s * x[i]
    return s


# 29. loop over a tuple of constants (unrolled)
def lp_constant_tuple(x):
    y = x * 0.0
    for c in (0.5, 1.0, 2.0):
        y = y + np.tanh(x * c) / c
    return y


# 30. static range, unrolled
def lp_static_range(x):
    h = x * 1.0
    for i in range(3):
        h = h * x + 1.0
    return h.sum()


# 31. while with an int counter stepping by 2
def lp_while_counter(x):
    i = 0
    s = 0.0
    while i < x.shape[0]:
        s += x[i] * x[i] * x[i]
        i += 2
    return s


# 32. while with break
def lp_while_break(x):
    s = 0.0
    i = 0
    while i < len(x):
        s = s + x[i]
        if s > 1.5:
            break
        i += 1
    return s * s


# 33. nested loop over rows and columns of a matrix with an accumulator per row
def lp_row_softplus(a):
    total = 0.0
    for i in range(a.shape[0]):
        row = 0.0
        for j in range(a.shape[1]):
            row += math.log(1.0 + math.exp(a[i, j]))
        total += row * row
    return total


def lp_row_softplus_ag(a):
    total = 0.0
    for i in range(a.shape[0]):
        row = 0.0
        for j in range(a.shape[1]):
            row = row + anp.log(1.0 + anp.exp(a[i, j]))
        total = total + row * row
    return total


# 31. a loop that assigns nothing (its body folds away) leaves a merge copy whose adjoint
#     restarts from zero: what flows to the copy's source must not alias it (found by the
#     random-program generator)
def lp_copy_through_empty_loop(x0):
    x0 = x0 + x0 + np.tanh(x0)
    for i in range(2):
        for j in range(x0.shape[0]):
            if i > 0:
                x0 = x0 + np.tanh(x0)
    return x0[0]


# 32. an index name reused by a runtime inner loop after an unrolled one: the unrolled
#     loop leaves `j` a constant, the runtime loop leaves it undefined, so the outer loop
#     must not carry it (found by the random-program generator: a KeyError while resolving)
def lp_reused_inner_index(x0):
    for i in range(2):
        for j in range(2):
            x0 = x0 + np.tanh(x0) * 0.5
    for i in range(x0.shape[0]):
        for j in range(x0.shape[0]):
            x0 = x0 + np.tanh(x0) * 0.25
    return x0[0] * x0[1]


# 33. a checkpointed array-level loop (ms.checkpointed): the segments' starts are
#     arrays, recomputed in the backward; runs on the CUDA target too
def lp_checkpointed_tanh(h, w):
    for t in ms.checkpointed(range(5), every=2):
        h = np.tanh(h @ w)
    return np.sum(h * h)


CASES = [
    Case("lp_sum_squares", lp_sum_squares, lambda: (rng(1).standard_normal(6),), lp_sum_squares_ag),
    Case("lp_dot_len", lp_dot_len, lambda: (rng(2).standard_normal(5), rng(3).standard_normal(5)), lp_dot_len_ag),
    Case("lp_step_even", lp_step, lambda: (rng(4).standard_normal(6),), lp_step_ag),
    Case("lp_step_odd", lp_step, lambda: (rng(5).standard_normal(7),), lp_step_ag),
    Case("lp_start_stop", lp_start_stop, lambda: (rng(6).standard_normal(6),)),
    Case("lp_triangular", lp_triangular, lambda: (rng(7).standard_normal(5),), lp_triangular_ag),
    Case("lp_while_grow", lp_while_grow, lambda: (np.array([0.3, 0.5, 0.45]),), lp_while_grow_ag),
    Case("lp_break", lp_break, lambda: (np.array([0.3, -0.5, 0.7, 1.6, 0.2, -0.4]),), lp_break_ag),
    Case("lp_continue", lp_continue, lambda: (np.array([0.4, -0.7, 1.3, -0.2, 0.8, 0.25, -1.1]),), lp_continue_ag),
    Case("lp_overwrite_tanh", lp_overwrite_tanh,
         lambda: (rng(9).standard_normal((2, 3)), rng(10).standard_normal((3, 3)) * 0.7), lp_overwrite_tanh_ag),
    Case("lp_rnn", lp_rnn, lambda: (rng(11).standard_normal((5, 3)), rng(12).standard_normal((3, 4)) * 0.5,
                                    rng(13).standard_normal((4, 4)) * 0.5), lp_rnn_ag),
    Case("lp_tuple_carry", lp_tuple_carry, lambda: (rng(14).standard_normal(4), rng(15).standard_normal(4)),
         lp_tuple_carry_ag),
    Case("lp_two_scalars", lp_two_scalars, lambda: (rng(16).standard_normal(6),), lp_two_scalars_ag),
    Case("lp_layer_tuple", lp_layer_tuple, lambda: (rng(17).standard_normal((2, 3)),), check_params=True),
    Case("lp_sequential", lp_sequential, lambda: (rng(18).standard_normal((3, 3)),), check_params=True),
    Case("lp_newton_sqrt", lp_newton_sqrt, lambda: (np.abs(rng(19).standard_normal(4)) + 0.5,), lp_newton_sqrt_ag),
    Case("lp_power_iteration", lp_power_iteration,
         lambda: (rng(20).standard_normal((3, 3)), rng(21).standard_normal(3)), lp_power_iteration_ag),
    Case("lp_int_trip", lp_int_trip, lambda: (np.array([1.1, 0.9, 1.45]),)),
    Case("lp_accumulate_array", lp_accumulate_array, lambda: (rng(22).standard_normal(4),), lp_accumulate_array_ag),
    Case("lp_reverse", lp_reverse, lambda: (rng(23).standard_normal(5),), lp_reverse_ag),
    Case("lp_product", lp_product, lambda: (away(rng(24).standard_normal(5), 0.5),), lp_product_ag),
    Case("lp_running_max", lp_running_max, lambda: (np.array([0.1, 0.8, -0.3, 1.4, 0.6]),)),
    Case("lp_logsumexp", lp_logsumexp, lambda: (np.array([0.2, -0.5, 1.1, 0.4]),), lp_logsumexp_ag),
    Case("lp_nested_break", lp_nested_break, lambda: (np.array([[0.5, -1.2, 0.3], [0.2, 0.4, -0.1],
                                                                 [-0.9, 0.7, 0.6]]),), lp_nested_break_ag),
    Case("lp_while_halve", lp_while_halve, lambda: (np.array([0.9, -0.7, 1.2]),)),
    Case("lp_descent", lp_descent, lambda: (rng(25).standard_normal(3), rng(26).standard_normal(3)), lp_descent_ag),
    Case("lp_loop_in_branch", lp_loop_in_branch, lambda: (np.array([0.5, -0.2, 0.9, 0.1]),)),
    Case("lp_branch_in_loop", lp_branch_in_loop, lambda: (away(rng(27).standard_normal(6)),), lp_branch_in_loop_ag),
    Case("lp_return_in_loop", lp_return_in_loop, lambda: (np.array([0.6, 0.9, 1.2, 0.4]),), lp_return_in_loop_ag),
    Case("lp_constant_tuple", lp_constant_tuple, lambda: (rng(28).standard_normal((2, 2)),)),
    Case("lp_static_range", lp_static_range, lambda: (rng(29).standard_normal(4),)),
    Case("lp_while_counter", lp_while_counter, lambda: (rng(30).standard_normal(7),)),
    Case("lp_while_break", lp_while_break, lambda: (np.array([0.5, 0.4, 0.9, 0.3, 0.2]),)),
    Case("lp_row_softplus", lp_row_softplus, lambda: (rng(31).standard_normal((3, 4)),), lp_row_softplus_ag),
    Case("lp_copy_through_empty_loop", lp_copy_through_empty_loop, lambda: (rng(32).standard_normal(2),)),
    Case("lp_reused_inner_index", lp_reused_inner_index, lambda: (rng(33).standard_normal(2),)),
    Case("lp_checkpointed_tanh", lp_checkpointed_tanh,
         lambda: (rng(34).standard_normal((2, 3)), rng(35).standard_normal((3, 3)) * 0.6)),
]
