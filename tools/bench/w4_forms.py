"""W4 written the ways other people write a pair loop, each timed against W4's hand-written
Numba gradient in this process (interleaved rounds, medians), after its gradient is checked
against that one:

    python tools/bench/w4_forms.py

- elements:  the benchmark's own form, `d = pos[i, k] - pos[j, k]` in a loop over k
- unrolled:  `dx = pos[i, 0] - pos[j, 0]`, dy, dz written out
- chained:   `pos[i][k]` (s2sgrad/chained_indexing.py)
- vectors:   `d = pos[i] - pos[j]; r2 = np.sum(d * d)` (s2sgrad/small_vectors.py)
- dot:       `d = pos[i] - pos[j]; r2 = d @ d`
- ops rows:  `d = pos[i, :] - pos[j, :]; r2 = ops.reduce_sum(d * d)`, `** 3.0`
- while:     the elements form with `while` loops (taped: trip counts are not known)
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench import w4                                    # noqa: E402
from bench.common import measure_interleaved, print_forms   # noqa: E402
from s2sgrad import ops                                 # noqa: E402


def unrolled(pos, eps, sigma):
    e = 0.0
    n = len(pos)
    for i in range(n):
        for j in range(i + 1, n):
            dx = pos[i, 0] - pos[j, 0]
            dy = pos[i, 1] - pos[j, 1]
            dz = pos[i, 2] - pos[j, 2]
            s6 = (sigma * sigma / (dx * dx + dy * dy + dz * dz)) ** 3
            e += 4.0 * eps * (s6 * s6 - s6)
    return e


def chained(pos, eps, sigma):
    e = 0.0
    n = pos.shape[0]
    for i in range(n):
        for j in range(i + 1, n):
            r2 = 0.0
            for k in range(3):
                r2 += (pos[i][k] - pos[j][k]) ** 2
            s6 = (sigma * sigma / r2) ** 3
            e += 4.0 * eps * (s6 * s6 - s6)
    return e


def vectors(pos, eps, sigma):
    e = 0.0
    n = pos.shape[0]
    for i in range(n):
        for j in range(i + 1, n):
            d = pos[i] - pos[j]
            s6 = (sigma * sigma / np.sum(d * d)) ** 3
            e += 4.0 * eps * (s6 * s6 - s6)
    return e


def dot(pos, eps, sigma):
    e = 0.0
    n = pos.shape[0]
    for i in range(n):
        for j in range(i + 1, n):
            d = pos[i] - pos[j]
            s6 = (sigma * sigma / (d @ d)) ** 3
            e += 4.0 * eps * (s6 * s6 - s6)
    return e


def ops_rows(pos, eps, sigma):
    e = 0.0
    n = pos.shape[0]
    for i in range(n):
        for j in range(i + 1, n):
            d = pos[i, :] - pos[j, :]
            s6 = (sigma * sigma / ops.reduce_sum(d * d)) ** 3.0
            e += 4.0 * eps * (s6 * s6 - s6)
    return e


def while_loops(pos, eps, sigma):
    e = 0.0
    n = pos.shape[0]
    i = 0
    while i < n:
        j = i + 1
        while j < n:
            r2 = 0.0
            for k in range(3):
                d = pos[i, k] - pos[j, k]
                r2 += d * d
            s6 = (sigma * sigma / r2) ** 3
            e += 4.0 * eps * (s6 * s6 - s6)
            j += 1
        i += 1
    return e


FORMS = {"elements": w4.lj_energy, "unrolled": unrolled, "chained": chained, "vectors": vectors, "dot": dot,
         "ops rows": ops_rows, "while": while_loops}


def main():
    from s2sgrad import Tensor, nn
    pos = w4.make_data()["pos"]
    value, grad = w4.value_and_grad(pos, w4.EPS, w4.SIGMA)
    calls = {"hand-written": lambda: w4.value_and_grad(pos, w4.EPS, w4.SIGMA)}
    for name, fn in FORMS.items():
        fvag = nn.ForwardValueAndGrad(fn)
        tensor = Tensor(pos)
        got_value, got_grad = fvag(tensor, w4.EPS, w4.SIGMA)          # compiles; checked before timing
        np.testing.assert_allclose(float(got_value.asnumpy()), value, **w4.TOL)
        np.testing.assert_allclose(got_grad.asnumpy(), grad, **w4.TOL)
        calls[name] = lambda fvag=fvag, tensor=tensor: fvag(tensor, w4.EPS, w4.SIGMA)
    print_forms(measure_interleaved(calls))


if __name__ == "__main__":
    main()
