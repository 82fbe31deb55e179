"""Element-level (Numba-style) code: scalar reads x[i], x[i, j], slices x[:, 0], x[a:b]
(static and runtime bounds), negative indices; writes y[i] = ..., y[i, j] += ...,
y[:, j] = ... into arrays created in the program (np.zeros, np.empty, np.zeros_like,
np.ones, x.copy()); x.shape[0], len(x)."""
import math

import autograd.numpy as anp
import numpy as np

from . import Case, rng, away

FEATURE = "elements"


# 1. Lennard-Jones energy: double loop over pairs i < j, inner loop over coordinates
def el_lennard_jones(pos):
    n = pos.shape[0]
    energy = 0.0
    for i in range(n):
        for j in range(i + 1, n):
            r2 = 0.0
            for k in range(3):
                d = pos[i, k] - pos[j, k]
                r2 += d * d
            inv6 = 1.0 / (r2 * r2 * r2)
            energy += 4.0 * (inv6 * inv6 - inv6)
    return energy


def el_lennard_jones_ag(pos):
    n = pos.shape[0]
    energy = 0.0
    for i in range(n):
        for j in range(i + 1, n):
            r2 = 0.0
            for k in range(3):
                d = pos[i, k] - pos[j, k]
                r2 = r2 + d * d
            inv6 = 1.0 / (r2 * r2 * r2)
            energy = energy + 4.0 * (inv6 * inv6 - inv6)
    return energy


def lj_positions():
    grid = np.array([[0.0, 0.0, 0.0], [1.1, 0.0, 0.0], [0.0, 1.15, 0.0], [0.0, 0.0, 1.2],
                     [1.1, 1.1, 0.1]])
    return (grid + 0.03 * rng(1).standard_normal(grid.shape),)


# 2. explicit Euler for dy/dt = -k y + sin(t) y^2 / 4, trajectory written into an array
def el_euler_trajectory(y0, k):
    n_steps = 20
    dt = 0.05
    traj = np.zeros(n_steps + 1)
    traj[0] = y0[0]
    for i in range(n_steps):
        t = i * dt
        y = traj[i]
        traj[i + 1] = y + dt * (-k[0] * y + math.sin(t) * y * y * 0.25)
    return traj


# 3. explicit Euler on a state vector (harmonic oscillator with damping), array overwritten
def el_euler_oscillator(state, params):
    dt = 0.02
    x = state[0]
    v = state[1]
    for step in range(50):
        a = -params[0] * x - params[1] * v
        x = x + dt * v
        v = v + dt * a
    return x * x + v


def el_euler_oscillator_ag(state, params):
    dt = 0.02
    x = state[0]
    v = state[1]
    for step in range(50):
        a = -params[0] * x - params[1] * v
        x = x + dt * v
        v = v + dt * a
    return x * x + v


# 4. 1-D convolution (valid) with loops
def el_conv1d(x, w):
    n = x.shape[0]
    k = w.shape[0]
    out = np.zeros(n - k + 1)
    for i in range(n - k + 1):
        for j in range(k):
            out[i] += x[i + j] * w[j]
    return out


# 4b. the same convolution written into an array of the input's size (tail left at 0)
def el_conv1d_padded(x, w):
    k = w.shape[0]
    out = np.zeros_like(x)
    for i in range(x.shape[0] - k + 1):
        acc = 0.0
        for j in range(k):
            acc += x[i + j] * w[j]
        out[i] = acc
    return out


# 5. cumulative sum with writes
def el_cumsum(x):
    y = np.zeros_like(x)
    y[0] = x[0]
    for i in range(1, x.shape[0]):
        y[i] = y[i - 1] + x[i]
    return y


# 6. matrix-vector product with loops
def el_matvec(a, v):
    m = a.shape[0]
    n = a.shape[1]
    y = np.zeros(m)
    for i in range(m):
        for j in range(n):
            y[i] += a[i, j] * v[j]
    return y


# 7. polynomial evaluation (Horner) at many points
def el_horner(coeffs, xs):
    ys = np.empty(xs.shape[0])
    for k in range(len(xs)):
        p = 0.0
        for i in range(len(coeffs)):
            p = p * xs[k] + coeffs[i]
        ys[k] = p
    return ys


# 8. Horner on a scalar, loop only
def el_horner_scalar(coeffs, t):
    p = coeffs[0]
    for i in range(1, coeffs.shape[0]):
        p = p * t[0] + coeffs[i]
    return p


def el_horner_scalar_ag(coeffs, t):
    p = coeffs[0]
    for i in range(1, coeffs.shape[0]):
        p = p * t[0] + coeffs[i]
    return p


# 9. column reads x[:, 0]
def el_columns(x):
    return x[:, 0] * x[:, 1] + x[:, 2]


def el_columns_ag(x):
    return x[:, 0] * x[:, 1] + x[:, 2]


# 10. static slices
def el_static_slices(x):
    return (x[1:4] - x[0:3]) * x[2:5]


def el_static_slices_ag(x):
    return (x[1:4] - x[0:3]) * x[2:5]


# 11. runtime slice bounds: moving-window sums
def el_window_sums(x):
    k = 3
    n = x.shape[0]
    out = np.zeros(n - k + 1)
    for i in range(n - k + 1):
        out[i] = (x[i:i + k] * x[i:i + k]).sum()
    return out


# 12. negative indices
def el_negative_index(x):
    return x[-1] * x[0] - x[-2] * x[1]


def el_negative_index_ag(x):
    return x[-1] * x[0] - x[-2] * x[1]


# 13. column writes y[:, j] = ...
def el_write_columns(x, w):
    y = np.zeros((x.shape[0], x.shape[1]))
    for j in range(x.shape[1]):
        y[:, j] = x[:, j] * w[j] + w[j] * w[j]
    return y


# 14. np.empty filled element by element
def el_empty_fill(x):
    y = np.empty(x.shape[0])
    for i in range(x.shape[0]):
        y[i] = math.exp(x[i]) - x[i]
    return y


# 15. np.ones with augmented writes *=
def el_ones_product(x):
    n = x.shape[0]
    y = np.ones(n)
    for i in range(n):
        for j in range(n):
            if i != j:
                y[i] *= x[j]
    return y


# 16. writes into a copy of an input
def el_copy_write(x):
    y = x.copy()
    for i in range(1, y.shape[0]):
        y[i] = y[i] * 0.5 + y[i - 1] * y[i - 1]
    return y


# 16b. writes into np.copy of an input
def el_np_copy_write(x):
    y = np.copy(x)
    for i in range(y.shape[0] - 1):
        y[i + 1] = y[i + 1] + y[i] * 0.5
    return y * x


# 17. outer product with 2-d writes
def el_outer(a, b):
    out = np.zeros((a.shape[0], b.shape[0]))
    for i in range(a.shape[0]):
        for j in range(b.shape[0]):
            out[i, j] = a[i] * b[j] + a[i]
    return out


# 18. pairwise distances, diagonal left at zero
def el_pairwise_distances(p):
    n = p.shape[0]
    d = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            if i != j:
                s = 0.0
                for k in range(p.shape[1]):
                    s += (p[i, k] - p[j, k]) ** 2
                d[i, j] = math.sqrt(s)
    return d


# 19. discrete Laplacian with neighbours
def el_laplacian(x):
    y = np.zeros_like(x)
    for i in range(1, x.shape[0] - 1):
        y[i] = x[i - 1] - 2.0 * x[i] + x[i + 1]
    return y * x


# 20. reversal by index arithmetic
def el_reverse(x):
    n = len(x)
    y = np.zeros(n)
    for i in range(n):
        y[i] = x[n - 1 - i] * (i + 1)
    return y * x


# 21. RNN whose hidden states are written into rows
def el_rnn_states(xs, w, u):
    t_len = xs.shape[0]
    hs = np.zeros((t_len, u.shape[0]))
    h = np.zeros((1, u.shape[0]))
    for t in range(t_len):
        h = np.tanh(xs[t:t + 1] @ w + h @ u)
        hs[t] = h[0]
    return hs


# 22. softmax written with element loops
def el_softmax(x):
    n = x.shape[0]
    m = x[0]
    for i in range(1, n):
        if x[i] > m:
            m = x[i]
    e = np.zeros(n)
    total = 0.0
    for i in range(n):
        e[i] = math.exp(x[i] - m)
        total += e[i]
    for i in range(n):
        e[i] = e[i] / total
    return e


# 23. triple-loop matrix product
def el_matmul(a, b):
    c = np.zeros((a.shape[0], b.shape[1]))
    for i in range(a.shape[0]):
        for j in range(b.shape[1]):
            for k in range(a.shape[1]):
                c[i, j] += a[i, k] * b[k, j]
    return c


# 24. trapezoid rule
def el_trapezoid(y, t):
    s = 0.0
    for i in range(y.shape[0] - 1):
        s += 0.5 * (y[i] + y[i + 1]) * (t[i + 1] - t[i])
    return s


def el_trapezoid_ag(y, t):
    s = 0.0
    for i in range(y.shape[0] - 1):
        s = s + 0.5 * (y[i] + y[i + 1]) * (t[i + 1] - t[i])
    return s


# 25. running mean with += writes
def el_running_mean(x):
    y = np.zeros_like(x)
    for i in range(x.shape[0]):
        for j in range(i + 1):
            y[i] += x[j]
        y[i] = y[i] / (i + 1)
    return y


# 26. bubble sort of a copy (distinct values: the gradient is a permutation)
def el_bubble_sort(x, w):
    y = x.copy()
    n = y.shape[0]
    for i in range(n):
        for j in range(n - 1 - i):
            if y[j] > y[j + 1]:
                t = y[j]
                y[j] = y[j + 1]
                y[j + 1] = t
    return y * w


# 26b. the same sort on an array filled element by element
def el_bubble_sort_filled(x, w):
    n = x.shape[0]
    y = np.zeros(n)
    for i in range(n):
        y[i] = x[i]
    for i in range(n):
        for j in range(n - 1 - i):
            if y[j] > y[j + 1]:
                t = y[j]
                y[j] = y[j + 1]
                y[j + 1] = t
    return y * w


# 27. polynomial features written per power
def el_poly_features(x):
    degree = 4
    out = np.zeros((x.shape[0], degree))
    for i in range(x.shape[0]):
        p = 1.0
        for k in range(degree):
            p = p * x[i]
            out[i, k] = p
    return out


# 28. 1-D heat equation, a new array each step
def el_heat(u):
    r = 0.2
    for step in range(10):
        v = u.copy()
        for i in range(1, u.shape[0] - 1):
            v[i] = u[i] + r * (u[i - 1] - 2.0 * u[i] + u[i + 1])
        u = v
    return u


# 29. row norms
def el_row_norms(a):
    out = np.zeros(a.shape[0])
    for i in range(a.shape[0]):
        s = 0.0
        for j in range(a.shape[1]):
            s += a[i, j] * a[i, j]
        out[i] = math.sqrt(s)
    return out


def el_row_norms_ag(a):
    return anp.sqrt(anp.sum(a * a, axis=1))


# 30. 2-d indexing with a negative column
def el_last_column(a):
    s = 0.0
    for i in range(a.shape[0]):
        s += a[i, -1] * a[i, 0] + a[-1, i]
    return s


def el_last_column_ag(a):
    s = 0.0
    for i in range(a.shape[0]):
        s = s + a[i, -1] * a[i, 0] + a[-1, i]
    return s


# 31. row writes y[i] = row expression, x[i] a row
def el_row_scale(x, w):
    y = np.zeros_like(x)
    for i in range(x.shape[0]):
        y[i] = x[i] * w[i] + np.tanh(x[i])
    return y


# 32. y[i, j] += with a runtime j range
def el_lower_triangle(a):
    n = a.shape[0]
    b = np.zeros((n, n))
    for i in range(n):
        for j in range(i + 1):
            b[i, j] += a[i, j] * a[j, i]
    return b


# 33. prefix products then a reduction
def el_prefix_products(x):
    p = np.ones(x.shape[0] + 1)
    for i in range(x.shape[0]):
        p[i + 1] = p[i] * x[i]
    return p.sum()


# 34. second-order recurrence (like an IIR filter)
def el_iir(x, a):
    y = np.zeros(x.shape[0])
    y[0] = x[0]
    y[1] = x[1] + a[0] * y[0]
    for i in range(2, x.shape[0]):
        y[i] = x[i] + a[0] * y[i - 1] + a[1] * y[i - 2]
    return y


# 35. an array the loop overwrites in place is also an output: the backward writes the
# old rows back for its own use, which must not reach the caller's result
def el_rescaled_rows_output(x):
    y = x.copy()
    for i in range(x.shape[0]):
        y[i] = y[i] * np.tanh(x[i])
    return x[0, 0] + 0.5, y


# 36. chained reads pos[i][k], t[i][:, j] and t[i][j][a:b] (each one read of the element or
# slice, see s2sgrad/chained_indexing.py)
def el_chained_reads(pos, t):
    n = pos.shape[0]
    e = 0.0
    for i in range(n):
        for j in range(i + 1, n):
            r2 = 0.0
            for k in range(2):
                r2 += (pos[i][k] - pos[j][k]) ** 2
            e += 1.0 / (1.0 + r2)
    return e + np.sum(t[1][:, 2] * t[0][1][0:3]) * pos[0][1]


def el_chained_reads_ag(pos, t):
    n = pos.shape[0]
    e = 0.0
    for i in range(n):
        for j in range(i + 1, n):
            r2 = 0.0
            for k in range(2):
                r2 = r2 + (pos[i][k] - pos[j][k]) ** 2
            e = e + 1.0 / (1.0 + r2)
    return e + anp.sum(t[1][:, 2] * t[0][1][0:3]) * pos[0][1]


# 37. rows read, then written, in one loop, and read again in another: a view of the array
# each write changes is only read before that write (compare tests/test_refusals.py)
def el_rows_written_then_read(x):
    y = x.copy()
    for i in range(x.shape[0]):
        row = y[i]
        y[i] = row * np.tanh(row)
    total = 0.0
    for i in range(x.shape[0]):
        row = y[i]
        total += np.sum(row * row)
    return total


# 38. pair vectors: d = pos[i] - pos[j] and its sum of squares, a dot product with a vector
# the loop does not make, a component read (each as numbers, see s2sgrad/small_vectors.py)
def el_pair_vectors(pos, w):
    e = 0.0
    for i in range(pos.shape[0]):
        for j in range(i + 1, pos.shape[0]):
            d = pos[i] - pos[j]
            r2 = np.sum(d * d) + 0.5
            e += np.dot(d, w) / r2 + d[0] * np.sqrt(r2)
    return e


def el_pair_vectors_ag(pos, w):
    e = 0.0
    for i in range(pos.shape[0]):
        for j in range(i + 1, pos.shape[0]):
            d = pos[i] - pos[j]
            r2 = anp.sum(d * d) + 0.5
            e = e + anp.dot(d, w) / r2 + d[0] * anp.sqrt(r2)
    return e


# 39. a small vector with a use that needs it whole (written into a row) stays a vector
def el_vector_rows(x, w):
    y = np.zeros_like(x)
    for i in range(x.shape[0]):
        d = np.tanh(x[i] * w)
        y[i] = d
        y[i, 0] = y[i, 0] + np.sum(d * d)
    return np.sum(y * x)


# 40. integer // and % on loop indices and sizes: alternate terms, a wrapped neighbour, halves
def el_int_arithmetic(x):
    n = x.shape[0]
    half = n // 2
    total = 0.0
    for i in range(n):
        if i % 2 == 0:
            total += x[i] * x[(i + 1) % n]
        else:
            total -= np.tanh(x[i])
    return total + np.sum(x[:half] * x[half:2 * half]) + np.sum(x[: n // 3] ** 2)


def el_int_arithmetic_ag(x):
    n = x.shape[0]
    half = n // 2
    total = 0.0
    for i in range(n):
        if i % 2 == 0:
            total = total + x[i] * x[(i + 1) % n]
        else:
            total = total - anp.tanh(x[i])
    return total + anp.sum(x[:half] * x[half:2 * half]) + anp.sum(x[: n // 3] ** 2)


# 41. writing through an ellipsis index
def el_ellipsis_write(x):
    y = np.zeros((2, x.shape[0], x.shape[1]))
    y[0, ...] = x * 2.0
    y[..., 0] = np.tanh(y[..., 1])
    return np.sum(y * y)


CASES = [
    Case("el_lennard_jones", el_lennard_jones, lj_positions, el_lennard_jones_ag),
    Case("el_rescaled_rows_output", el_rescaled_rows_output, lambda: (rng(45).standard_normal((2, 3)),)),
    Case("el_euler_trajectory", el_euler_trajectory, lambda: (np.array([0.8]), np.array([0.7]))),
    Case("el_euler_oscillator", el_euler_oscillator, lambda: (np.array([1.0, -0.3]), np.array([2.0, 0.3])),
         el_euler_oscillator_ag),
    Case("el_conv1d", el_conv1d, lambda: (rng(2).standard_normal(8), rng(3).standard_normal(3))),
    Case("el_conv1d_padded", el_conv1d_padded, lambda: (rng(43).standard_normal(8), rng(44).standard_normal(3))),
    Case("el_cumsum", el_cumsum, lambda: (rng(4).standard_normal(6),)),
    Case("el_matvec", el_matvec, lambda: (rng(5).standard_normal((3, 4)), rng(6).standard_normal(4))),
    Case("el_horner", el_horner, lambda: (rng(7).standard_normal(4), rng(8).standard_normal(5))),
    Case("el_horner_scalar", el_horner_scalar, lambda: (rng(9).standard_normal(5), np.array([0.7])),
         el_horner_scalar_ag),
    Case("el_columns", el_columns, lambda: (rng(10).standard_normal((4, 3)),), el_columns_ag),
    Case("el_static_slices", el_static_slices, lambda: (rng(11).standard_normal(6),), el_static_slices_ag),
    Case("el_window_sums", el_window_sums, lambda: (rng(12).standard_normal(7),)),
    Case("el_negative_index", el_negative_index, lambda: (rng(13).standard_normal(5),), el_negative_index_ag),
    Case("el_write_columns", el_write_columns, lambda: (rng(14).standard_normal((3, 4)), rng(15).standard_normal(4))),
    Case("el_empty_fill", el_empty_fill, lambda: (rng(16).standard_normal(5),)),
    Case("el_ones_product", el_ones_product, lambda: (rng(17).standard_normal(4),)),
    Case("el_copy_write", el_copy_write, lambda: (rng(18).standard_normal(5),)),
    Case("el_np_copy_write", el_np_copy_write, lambda: (rng(45).standard_normal(5),)),
    Case("el_outer", el_outer, lambda: (rng(19).standard_normal(3), rng(20).standard_normal(4))),
    Case("el_pairwise_distances", el_pairwise_distances, lambda: (rng(21).standard_normal((4, 2)),)),
    Case("el_laplacian", el_laplacian, lambda: (rng(22).standard_normal(6),)),
    Case("el_reverse", el_reverse, lambda: (rng(23).standard_normal(5),)),
    Case("el_rnn_states", el_rnn_states, lambda: (rng(24).standard_normal((4, 2)), rng(25).standard_normal((2, 3)) * 0.6,
                                                  rng(26).standard_normal((3, 3)) * 0.6)),
    Case("el_softmax", el_softmax, lambda: (np.array([0.3, -0.4, 1.2, 0.5, -1.0]),)),
    Case("el_matmul", el_matmul, lambda: (rng(27).standard_normal((2, 3)), rng(28).standard_normal((3, 4)))),
    Case("el_trapezoid", el_trapezoid, lambda: (rng(29).standard_normal(6), np.cumsum(np.abs(rng(30).standard_normal(6)))),
         el_trapezoid_ag),
    Case("el_running_mean", el_running_mean, lambda: (rng(31).standard_normal(5),)),
    Case("el_bubble_sort", el_bubble_sort,
         lambda: (np.array([0.4, -1.1, 0.9, 0.1, -0.3, 1.5]), rng(41).standard_normal(6))),
    Case("el_bubble_sort_filled", el_bubble_sort_filled,
         lambda: (np.array([0.4, -1.1, 0.9, 0.1, -0.3, 1.5]), rng(42).standard_normal(6))),
    Case("el_poly_features", el_poly_features, lambda: (rng(32).standard_normal(4),)),
    Case("el_heat", el_heat, lambda: (rng(33).standard_normal(6),)),
    Case("el_row_norms", el_row_norms, lambda: (rng(34).standard_normal((3, 4)),), el_row_norms_ag),
    Case("el_last_column", el_last_column, lambda: (rng(35).standard_normal((3, 3)),), el_last_column_ag),
    Case("el_row_scale", el_row_scale, lambda: (rng(36).standard_normal((3, 4)), rng(37).standard_normal((3, 4)))),
    Case("el_lower_triangle", el_lower_triangle, lambda: (rng(38).standard_normal((4, 4)),)),
    Case("el_prefix_products", el_prefix_products, lambda: (rng(39).standard_normal(5),)),
    Case("el_iir", el_iir, lambda: (rng(40).standard_normal(7), np.array([0.5, -0.3]))),
    Case("el_rows_written_then_read", el_rows_written_then_read, lambda: (rng(48).standard_normal((3, 4)),)),
    Case("el_pair_vectors", el_pair_vectors, lambda: (rng(49).standard_normal((4, 3)), rng(50).standard_normal(3)),
         el_pair_vectors_ag),
    Case("el_vector_rows", el_vector_rows, lambda: (rng(51).standard_normal((3, 2)), rng(52).standard_normal(2))),
    Case("el_ellipsis_write", el_ellipsis_write, lambda: (rng(54).standard_normal((3, 4)),)),
    Case("el_int_arithmetic", el_int_arithmetic, lambda: (rng(53).standard_normal(7),), el_int_arithmetic_ag),
    Case("el_chained_reads", el_chained_reads, lambda: (rng(46).standard_normal((4, 2)), rng(47).standard_normal((2, 3, 4))),
         el_chained_reads_ag),
]
