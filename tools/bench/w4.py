"""W4: Lennard-Jones energy of 256 particles, written element by element as a double loop
over pairs i < j; gradient with respect to the positions."""
import numba
import numpy as np

from .common import Impl, hand_written

TITLE = "W4 Lennard-Jones, 256 particles, pair loop"
WRT = "positions"
TOL = dict(rtol=1e-9, atol=1e-12)
FD_WRT = {0: 0}
EPS, SIGMA = 1.0, 1.0


def make_data(size="full"):
    n = 256 if size == "full" else 6
    # particles on a jittered grid: no pair closer than ~0.5 sigma, so the energy stays moderate
    side = int(np.ceil(n ** (1 / 3)))
    grid = np.stack(np.meshgrid(*[np.arange(side)] * 3, indexing="ij"), -1).reshape(-1, 3)[:n]
    pos = grid * 1.1 + 0.15 * np.random.default_rng(0).standard_normal((n, 3))
    return {"pos": pos}


def lj_energy(pos, eps, sigma):
    """The program as a user writes it; s2sgrad differentiates it, Numba compiles it as the primal."""
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


primal = numba.njit(cache=True)(lj_energy)


@numba.njit(cache=True, error_model="numpy")
def value_and_grad(pos, eps, sigma):
    """Energy and dE/dpos, written for SIMD: coordinates in separate contiguous arrays, and per
    row i one loop over j > i (through views indexed from 0) that stores each pair's energy and
    force instead of adding them up, then one loop adding them in order (the same sums, in the
    same order, as one pass over the pairs). LLVM runs the first loop four pairs at a time; the
    one-pass form, with the sums in the pair loop, stays scalar at about twice this time."""
    n = pos.shape[0]
    x, y, z = np.ascontiguousarray(pos[:, 0]), np.ascontiguousarray(pos[:, 1]), np.ascontiguousarray(pos[:, 2])
    gx, gy, gz = np.zeros(n), np.zeros(n), np.zeros(n)
    pair_e, fx, fy, fz = np.empty(n), np.empty(n), np.empty(n), np.empty(n)
    sig2 = sigma * sigma
    e = 0.0
    for i in range(n):
        xj, yj, zj, gxj, gyj, gzj = x[i + 1:], y[i + 1:], z[i + 1:], gx[i + 1:], gy[i + 1:], gz[i + 1:]
        for t in range(n - i - 1):
            dx, dy, dz = x[i] - xj[t], y[i] - yj[t], z[i] - zj[t]
            inv = 1.0 / (dx * dx + dy * dy + dz * dz)
            s2 = sig2 * inv
            s6 = s2 * s2 * s2
            pair_e[t] = 4.0 * eps * (s6 * s6 - s6)
            f = -24.0 * eps * (2.0 * s6 * s6 - s6) * inv      # dE/dr2 * 2
            fx[t], fy[t], fz[t] = f * dx, f * dy, f * dz
            gxj[t] -= f * dx
            gyj[t] -= f * dy
            gzj[t] -= f * dz
        gxi = gyi = gzi = 0.0
        for t in range(n - i - 1):
            e += pair_e[t]
            gxi += fx[t]
            gyi += fy[t]
            gzi += fz[t]
        gx[i] += gxi
        gy[i] += gyi
        gz[i] += gzi
    grad = np.empty((n, 3))
    grad[:, 0], grad[:, 1], grad[:, 2] = gx, gy, gz
    return e, grad


def impl_s2sgrad(data):
    from s2sgrad import nn, Tensor
    grad = nn.ForwardValueAndGrad(lj_energy)          # gradient of input 0: the positions
    pos = Tensor(data["pos"])
    return Impl(lambda: grad(pos, EPS, SIGMA), lambda r: (r[0], [r[1]]), info={"train": grad, "args": (pos, EPS, SIGMA)})


def _args(data):
    return [data["pos"], EPS, SIGMA]


impl_numba_primal, impl_numba_grad = hand_written(primal, value_and_grad, _args)


def impl_jax(data):
    import jax
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    i, j = np.triu_indices(len(data["pos"]), 1)

    def energy(pos):
        d = pos[i] - pos[j]
        s6 = (SIGMA * SIGMA / jnp.sum(d * d, axis=1)) ** 3
        return jnp.sum(4.0 * EPS * (s6 * s6 - s6))
    vg = jax.jit(jax.value_and_grad(energy))
    pos = jnp.asarray(data["pos"])
    return Impl(lambda: jax.block_until_ready(vg(pos)), lambda r: (r[0], [r[1]]), note="vectorised pairs")


def impl_torch(data):
    import torch
    i, j = (torch.as_tensor(a) for a in np.triu_indices(len(data["pos"]), 1))
    pos = torch.tensor(data["pos"], requires_grad=True)

    def call():
        pos.grad = None
        d = pos[i] - pos[j]
        s6 = (SIGMA * SIGMA / (d * d).sum(1)) ** 3
        e = (4.0 * EPS * (s6 * s6 - s6)).sum()
        e.backward()
        return e.detach(), pos.grad
    return Impl(call, lambda r: (r[0], [r[1]]), note="vectorised pairs")


def impl_torch_loop(data):
    """The workload as written, a Python loop over the pairs, given PyTorch's best form of
    it: one 3-vector difference per pair instead of three scalar ones."""
    import torch
    n = len(data["pos"])
    pos = torch.tensor(data["pos"], requires_grad=True)

    def call():
        pos.grad = None
        rows = pos.unbind(0)
        e = torch.zeros((), dtype=pos.dtype)
        for i in range(n):
            for j in range(i + 1, n):
                d = rows[i] - rows[j]
                s6 = (SIGMA * SIGMA / (d * d).sum()) ** 3
                e = e + 4.0 * EPS * (s6 * s6 - s6)
        e.backward()
        return e.detach(), pos.grad
    return Impl(call, lambda r: (r[0], [r[1]]), note="pair loop in Python")


def impl_tangent(data):
    import tangent
    dloss = tangent.grad(lj_energy, wrt=(0,))
    pos = data["pos"]
    return Impl(lambda: (lj_energy(pos, EPS, SIGMA), dloss(pos, EPS, SIGMA)), lambda r: (r[0], [r[1]]),
                note="same pair loop, pure Python")
