"""Programs that combine the features: writes inside branches, helpers inside loops,
break/continue with several carried values, zero-trip loops, slice writes, chained
indexing, tuple outputs. Each case names its main feature."""
import math

import autograd.numpy as anp
import numpy as np

import s2sgrad as ms
from s2sgrad import nn, ops, Parameter, Tensor
from . import Case, rng, away

FEATURE = "combined"


def r(seed, *shape):
    return rng(seed).standard_normal(shape)


# 1. continue with two carried scalars
def co_continue_carried(x):
    s = 0.0
    p = 1.0
    for i in range(x.shape[0]):
        if x[i] < 0:
            continue
        p = p * x[i]
        s += p
    return s


def co_continue_carried_ag(x):
    s = 0.0
    p = 1.0
    for i in range(x.shape[0]):
        if x[i] < 0:
            continue
        p = p * x[i]
        s = s + p
    return s


# 2. break with two carried scalars
def co_break_carried(x):
    s = 0.0
    p = 1.0
    for i in range(x.shape[0]):
        p = p * x[i]
        if p < 0.1:
            break
        s += p * p
    return s + p


def co_break_carried_ag(x):
    s = 0.0
    p = 1.0
    for i in range(x.shape[0]):
        p = p * x[i]
        if p < 0.1:
            break
        s = s + p * p
    return s + p


# 3. break and continue in the same loop
def co_break_and_continue(x):
    s = 0.0
    for i in range(len(x)):
        if x[i] < 0:
            continue
        if x[i] > 2.0:
            break
        s = s * 0.5 + x[i] * x[i]
    return s


def co_break_and_continue_ag(x):
    s = 0.0
    for i in range(len(x)):
        if x[i] < 0:
            continue
        if x[i] > 2.0:
            break
        s = s * 0.5 + x[i] * x[i]
    return s


# 4. writes inside branches
def co_write_in_branch(x):
    y = np.zeros_like(x)
    for i in range(x.shape[0]):
        if x[i] > 0:
            y[i] = x[i] * x[i]
        else:
            y[i] = math.exp(x[i])
    return y


# 5. a helper with a branch called inside a loop
def leaky(v, slope=0.1):
    if v > 0:
        return v
    return v * slope


def co_helper_in_loop(x):
    s = 0.0
    for i in range(x.shape[0]):
        s += leaky(x[i]) * leaky(x[i], slope=0.3)
    return s


def co_helper_in_loop_ag(x):
    def lk(v, slope=0.1):
        return v if v > 0 else v * slope
    s = 0.0
    for i in range(x.shape[0]):
        s = s + lk(x[i]) * lk(x[i], slope=0.3)
    return s


# 6. a loop that runs zero times at runtime
def co_zero_trip(x):
    s = x.sum()
    for i in range(x.shape[0], x.shape[0] - 2):
        s = s * x[i]
    return s * s


# 7. while with `and` in the condition and a branch in the body
def co_while_and(x):
    i = 0
    s = 0.0
    while i < x.shape[0] and s < 3.0:
        if x[i] > 0:
            s += x[i]
        else:
            s -= x[i] * 0.5
        i += 1
    return s * s


def co_while_and_ag(x):
    i = 0
    s = 0.0
    while i < x.shape[0] and s < 3.0:
        if x[i] > 0:
            s = s + x[i]
        else:
            s = s - x[i] * 0.5
        i += 1
    return s * s


# 8. row writes y[i, :] and a static slice write y[1:3]
def co_row_and_slice_writes(x):
    y = np.zeros((x.shape[0], x.shape[1]))
    for i in range(x.shape[0]):
        y[i, :] = np.tanh(x[i, :]) * (i + 1)
    z = np.zeros(x.shape[1])
    z[1:3] = x[0, 1:3] * x[1, 1:3]
    return y.sum(axis=0) + z


# 9. runtime slice writes with +=
def co_runtime_slice_add(x, w):
    k = w.shape[0]
    out = np.zeros(x.shape[0] + k - 1)
    for i in range(x.shape[0]):
        out[i:i + k] += x[i] * w
    return out


# 10. the same index written twice in one iteration
def co_overwrite_twice(x):
    y = np.ones(x.shape[0])
    for i in range(x.shape[0]):
        y[i] = x[i] * 2.0
        y[i] = y[i] * y[i] + x[i]
    return y


# 11. a whole-array += into an allocated array
def co_array_accumulate(xs):
    acc = np.zeros(xs.shape[1])
    for t in range(xs.shape[0]):
        acc += np.tanh(xs[t]) * (t + 1)
    return acc


def co_array_accumulate_ag(xs):
    acc = anp.zeros(xs.shape[1])
    for t in range(xs.shape[0]):
        acc = acc + anp.tanh(xs[t]) * (t + 1)
    return acc


# 12. chained indexing x[i][j]
def co_chained_index(a):
    s = 0.0
    for i in range(a.shape[0]):
        for j in range(a.shape[1]):
            s += a[i][j] * a[j][i]
    return s


def co_chained_index_ag(a):
    s = 0.0
    for i in range(a.shape[0]):
        for j in range(a.shape[1]):
            s = s + a[i][j] * a[j][i]
    return s


# 13. tuple output from a program with a loop
def co_tuple_output(x):
    s = 0.0
    q = 0.0
    for i in range(x.shape[0]):
        s += x[i]
        q += x[i] * x[i]
    return s, q, x * s


def co_tuple_output_ag(x):
    s = 0.0
    q = 0.0
    for i in range(x.shape[0]):
        s = s + x[i]
        q = q + x[i] * x[i]
    return s, q, x * s


# 14. an int index carried through a loop
def co_carried_index(x):
    k = 0
    s = 0.0
    for i in range(x.shape[0]):
        if x[i] > x[k]:
            k = i
        s += x[k] * x[i]
    return s


def co_carried_index_ag(x):
    k = 0
    s = 0.0
    for i in range(x.shape[0]):
        if x[i] > x[k]:
            k = i
        s = s + x[k] * x[i]
    return s


# 15. runtime slices of a row: x[i, a:b]
def co_row_slices(a):
    s = 0.0
    for i in range(a.shape[0]):
        s += (a[i, i:] * a[i, i:]).sum()
    return s


def co_row_slices_ag(a):
    s = 0.0
    for i in range(a.shape[0]):
        s = s + anp.sum(a[i, i:] * a[i, i:])
    return s


# 16. negative-index writes
def co_negative_writes(x):
    y = np.zeros(x.shape[0])
    y[-1] = x[0] * x[-1]
    y[0] = x[-2] * 3.0
    y[-2] = y[-1] + y[0]
    return y


# 17. early return of a tuple
def co_return_tuple_branch(x):
    if x.sum() > 0:
        return x * 2.0, x.sum()
    return x * x, x.mean()


def co_return_tuple_branch_ag(x):
    if anp.sum(x) > 0:
        return x * 2.0, anp.sum(x)
    return x * x, anp.mean(x)


# 18. a helper returning a tuple, called in a loop
def step(pos, vel, dt=0.1):
    acc = -pos * pos * pos
    return pos + dt * vel, vel + dt * acc


def co_tuple_helper_loop(p, v):
    for i in range(12):
        p, v = step(p, v)
    p, v = step(p, v, dt=0.05)
    return p * v


def co_tuple_helper_loop_ag(p, v):
    def st(pos, vel, dt=0.1):
        acc = -pos * pos * pos
        return pos + dt * vel, vel + dt * acc
    for i in range(12):
        p, v = st(p, v)
    p, v = st(p, v, dt=0.05)
    return p * v


# 19. a SequentialCell applied repeatedly in a runtime loop
class CoRepeated(nn.Cell):
    def __init__(self):
        super().__init__()
        r0 = rng(100)
        self.block = nn.SequentialCell([
            nn.Dense(3, 3, weight_init=Tensor(r0.standard_normal((3, 3)) * 0.4),
                     bias_init=Tensor(r0.standard_normal(3) * 0.1), dtype=ms.float64),
            nn.Tanh()])

    def construct(self, x, steps):
        for i in range(steps.shape[0]):
            x = self.block(x) * steps[i]
        return x.sum()


# 20. running minimum with min() in a loop
def co_running_min(x):
    m = x[0]
    s = 0.0
    for i in range(1, x.shape[0]):
        m = min(m, x[i])
        s += m * x[i]
    return s


def co_running_min_ag(x):
    m = x[0]
    s = 0.0
    for i in range(1, x.shape[0]):
        m = anp.minimum(m, x[i])
        s = s + m * x[i]
    return s


# 21. ternary inside a loop
def co_ternary_in_loop(x):
    s = 0.0
    for i in range(x.shape[0]):
        s += x[i] * 2.0 if x[i] > 0 else x[i] * x[i]
    return s


# 22. a branch whose arms write different elements
def co_branch_writes(x):
    y = x.copy()
    n = x.shape[0]
    if x.sum() > 0:
        y[0] = y[0] * y[n - 1]
    else:
        y[n - 1] = y[0] + y[n - 1] * 2.0
    return y * y


# 23. a nested loop with an early return from inside a helper
def first_large(x, threshold):
    result = x[0] * 0.0
    for i in range(x.shape[0]):
        if x[i] > threshold:
            result = x[i] * (i + 1)
            break
    return result


def co_helper_early_return(x):
    return first_large(x, 0.5) + first_large(x * x, 1.0)


# 24. backward loop with data-dependent stride of two accumulators
def co_two_accumulators(x, y):
    a = 0.0
    b = 0.0
    for i in range(x.shape[0] - 1, -1, -2):
        a = a * 0.9 + x[i] * y[i]
        b = b + a * a
    return a + b


def co_two_accumulators_ag(x, y):
    a = 0.0
    b = 0.0
    for i in range(x.shape[0] - 1, -1, -2):
        a = a * 0.9 + x[i] * y[i]
        b = b + a * a
    return a + b


# 25. array carried through a while loop with a break
def co_while_array_break(x, w):
    h = x
    i = 0
    while i < 10:
        h = np.tanh(h @ w + x)
        if h.sum() > 1.4:
            break
        i += 1
    return h


# 26. elif chain inside a loop with writes
def co_elif_writes(x):
    y = np.zeros(x.shape[0])
    for i in range(x.shape[0]):
        if x[i] > 1.0:
            y[i] = x[i] - 0.5
        elif x[i] > -1.0:
            y[i] = 0.5 * x[i] * x[i]
        else:
            y[i] = -x[i] - 0.5
    return y


# 27. a 2-d loop writing a symmetric matrix
def co_symmetric(x):
    n = x.shape[0]
    k = np.zeros((n, n))
    for i in range(n):
        for j in range(i, n):
            v = math.exp(-(x[i] - x[j]) * (x[i] - x[j]))
            k[i, j] = v
            k[j, i] = v
    return k


# 28. a Cell with a loop over its own Parameter rows and a branch on each
class CoRowGate(nn.Cell):
    def __init__(self):
        super().__init__()
        self.w = Parameter(Tensor(rng(101).standard_normal((4, 3))), name="w")

    def construct(self, x):
        out = np.zeros(self.w.shape[0])
        for i in range(self.w.shape[0]):
            z = (self.w[i] * x).sum()
            if z > 0:
                out[i] = z
            else:
                out[i] = z * 0.1
        return out


def co_row_gate_inputs():
    return (np.array([0.2, -0.9, 0.3]),)


# 29. loop-carried tuple of (array, scalar)
def co_array_scalar_carry(x):
    h = x * 1.0
    c = 0.0
    for i in range(4):
        h, c = np.tanh(h) + c, c + h.sum() * 0.1
    return h * c


def co_array_scalar_carry_ag(x):
    h = x * 1.0
    c = 0.0
    for i in range(4):
        h, c = anp.tanh(h) + c, c + anp.sum(h) * 0.1
    return h * c


# 30. a while loop whose trip count depends on a runtime shape and a value
def co_while_shape_value(x):
    i = 0
    s = 0.0
    while i < len(x):
        s = s + x[i] * (i + 1)
        i += 1 if x[i] > 0 else 2
    return s


CASES = [
    Case("co_continue_carried", co_continue_carried, lambda: (np.array([0.5, -0.4, 0.7, 0.3]),),
         co_continue_carried_ag, feature="loops"),
    Case("co_break_carried", co_break_carried, lambda: (np.array([0.9, 0.8, 0.7, 0.05, 0.6]),), co_break_carried_ag,
         feature="loops"),
    Case("co_break_and_continue", co_break_and_continue, lambda: (np.array([0.5, -0.3, 1.2, 0.7, 2.5, 0.4]),),
         co_break_and_continue_ag, feature="loops"),
    Case("co_write_in_branch", co_write_in_branch, lambda: (np.array([0.5, -0.3, 1.2, -0.7]),), feature="elements"),
    Case("co_helper_in_loop", co_helper_in_loop, lambda: (np.array([0.5, -0.3, 1.2, -0.7]),), co_helper_in_loop_ag,
         feature="calls"),
    Case("co_zero_trip", co_zero_trip, lambda: (r(1, 4),), feature="loops"),
    Case("co_while_and", co_while_and, lambda: (np.array([0.8, -0.6, 1.1, 0.9, 0.7, 0.5]),), co_while_and_ag,
         feature="loops"),
    Case("co_row_and_slice_writes", co_row_and_slice_writes, lambda: (r(2, 3, 4),), feature="elements"),
    Case("co_runtime_slice_add", co_runtime_slice_add, lambda: (r(3, 5), r(4, 3)), feature="elements"),
    Case("co_overwrite_twice", co_overwrite_twice, lambda: (r(5, 4),), feature="elements"),
    Case("co_array_accumulate", co_array_accumulate, lambda: (r(6, 3, 4),), co_array_accumulate_ag, feature="loops"),
    Case("co_chained_index", co_chained_index, lambda: (r(7, 3, 3),), co_chained_index_ag, feature="elements"),
    Case("co_tuple_output", co_tuple_output, lambda: (r(8, 4),), co_tuple_output_ag, feature="calls"),
    Case("co_carried_index", co_carried_index, lambda: (np.array([0.2, 0.9, -0.3, 1.5, 0.6]),), co_carried_index_ag,
         feature="loops"),
    Case("co_row_slices", co_row_slices, lambda: (r(9, 3, 4),), co_row_slices_ag, feature="elements"),
    Case("co_negative_writes", co_negative_writes, lambda: (r(10, 4),), feature="elements"),
    Case("co_return_tuple_branch", co_return_tuple_branch, lambda: (np.array([0.4, -0.2, 0.9]),),
         co_return_tuple_branch_ag, feature="branches"),
    Case("co_tuple_helper_loop", co_tuple_helper_loop, lambda: (r(11, 3), r(12, 3)), co_tuple_helper_loop_ag,
         feature="calls"),
    Case("co_repeated_sequential", CoRepeated(), lambda: (r(13, 2, 3), np.array([1.1, 0.9, 1.2])), check_params=True,
         feature="loops"),
    Case("co_running_min", co_running_min, lambda: (np.array([0.9, 0.4, 1.3, -0.2, 0.6, -0.8]),), co_running_min_ag,
         feature="scalars"),
    Case("co_ternary_in_loop", co_ternary_in_loop, lambda: (np.array([0.5, -0.3, 1.2, -0.7]),), feature="branches"),
    Case("co_branch_writes", co_branch_writes, lambda: (np.array([0.5, -0.3, 1.2, 0.4]),), feature="elements"),
    Case("co_helper_early_return", co_helper_early_return, lambda: (np.array([0.2, -1.3, 0.8, 0.3]),),
         feature="calls"),
    Case("co_two_accumulators", co_two_accumulators, lambda: (r(14, 7), r(15, 7)), co_two_accumulators_ag,
         feature="loops"),
    Case("co_while_array_break", co_while_array_break, lambda: (np.array([[0.3, 0.5, -0.2]]), r(16, 3, 3) * 0.5),
         feature="loops"),
    Case("co_elif_writes", co_elif_writes, lambda: (np.array([1.6, 0.4, -0.3, -1.8, 0.9]),), feature="elements"),
    Case("co_symmetric", co_symmetric, lambda: (r(17, 4),), feature="elements"),
    Case("co_row_gate", CoRowGate(), co_row_gate_inputs, check_params=True, feature="cells"),
    Case("co_array_scalar_carry", co_array_scalar_carry, lambda: (r(18, 3),), co_array_scalar_carry_ag,
         feature="loops"),
    Case("co_while_shape_value", co_while_shape_value, lambda: (np.array([0.5, -0.3, 1.2, 0.4, -0.9, 0.2, 0.8]),),
         feature="loops"),
]
