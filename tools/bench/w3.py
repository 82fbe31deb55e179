"""W3: scalar ODE, 10,000 explicit Euler steps of x <- x + dt*(a*x - b*x^3), float64,
loss x^2; gradient with respect to x0, a and b (a loop-carried scalar: the tape case)."""
import numba
import numpy as np

import s2sgrad

from .common import Impl, hand_written

TITLE = "W3 scalar ODE, 10,000 Euler steps, float64"
WRT = "x0, a, b"
TOL = dict(rtol=1e-9, atol=1e-12)
FD_WRT = {0: 0, 1: 1, 2: 2}     # gradient index -> argument index, for the finite-difference test
STEPS = 10000
DT = 0.001


def make_data(size="full"):
    return {"x0": 0.7, "a": 0.9, "b": 0.4, "steps": STEPS if size == "full" else 50}


def ode_loss(x0, a, b, steps):
    """The program as a user writes it; s2sgrad differentiates it, Numba compiles it as the primal."""
    x = x0
    for _ in range(steps):
        x = x + 0.001 * (a * x - b * x * x * x)
    return x * x


primal = numba.njit(cache=True)(ode_loss)


@numba.njit(cache=True)
def value_and_grad(x0, a, b, steps):
    xs = np.empty(steps + 1)
    xs[0] = x0
    for t in range(steps):
        x = xs[t]
        xs[t + 1] = x + DT * (a * x - b * x * x * x)
    dx = 2 * xs[steps]
    da = 0.0
    db = 0.0
    for t in range(steps - 1, -1, -1):
        x = xs[t]
        da += dx * DT * x
        db -= dx * DT * x * x * x
        dx = dx * (1 + DT * (a - 3 * b * x * x))
    return xs[steps] * xs[steps], dx, da, db


def _args(data):
    return data["x0"], data["a"], data["b"], data["steps"]


def _s2sgrad(fn, data):
    from s2sgrad import nn, Tensor
    grad = nn.ForwardValueAndGrad(fn, get_all=True)
    x0, a, b, steps = _args(data)
    args = [Tensor(np.array(v, np.float64)) for v in (x0, a, b)] + [steps]
    return Impl(lambda: grad(*args), lambda r: (r[0], list(r[1])), info={"train": grad, "args": args})


def impl_s2sgrad(data):
    return _s2sgrad(ode_loss, data)


def species_loss(x0, a, b, steps):
    """Three competing species (Lotka-Volterra), W3's step count and step size: three carried
    scalars, one more than a loop multiplies its partials up for (fused_loops.py; W3's one
    carried scalar tapes nothing), so this loop tapes its values per step. The memory rows
    show that tape, and what checkpointing saves of it."""
    x, y, z = x0, 0.8 * x0, 1.2 * x0
    for _ in range(steps):
        total = x + y + z
        x = x + 0.001 * x * (a - b * total)
        y = y + 0.001 * y * (0.9 * a - b * total)
        z = z + 0.001 * z * (1.1 * a - b * total)
    return x * x + y * y + z * z


def checkpointed_species_loss(x0, a, b, steps):
    """species_loss with its loop checkpointed (every ceil(sqrt(steps)) steps)."""
    x, y, z = x0, 0.8 * x0, 1.2 * x0
    for _ in s2sgrad.checkpointed(range(steps)):
        total = x + y + z
        x = x + 0.001 * x * (a - b * total)
        y = y + 0.001 * y * (0.9 * a - b * total)
        z = z + 0.001 * z * (1.1 * a - b * total)
    return x * x + y * y + z * z


def s2sgrad_species(data):
    """Not timing rows (no impl_ prefix): tools/bench/startup.py measures their memory."""
    return _s2sgrad(species_loss, data)


def s2sgrad_checkpointed_species(data):
    return _s2sgrad(checkpointed_species_loss, data)


impl_numba_primal, impl_numba_grad = hand_written(primal, value_and_grad, _args)


def impl_jax(data):
    import jax
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    steps = data["steps"]

    def loss(x0, a, b):
        x = jax.lax.fori_loop(0, steps, lambda _, x: x + DT * (a * x - b * x * x * x), x0)
        return x * x
    vg = jax.jit(jax.value_and_grad(loss, argnums=(0, 1, 2)))
    args = [jnp.asarray(v, jnp.float64) for v in _args(data)[:3]]
    return Impl(lambda: jax.block_until_ready(vg(*args)), lambda r: (r[0], list(r[1])), note="lax.fori_loop")


def impl_torch(data):
    import torch
    steps = data["steps"]
    args = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in _args(data)[:3]]

    def call():
        x0, a, b = args
        for t in args:
            t.grad = None
        x = x0
        for _ in range(steps):
            x = x + DT * (a * x - b * x * x * x)
        loss = x * x
        loss.backward()
        return loss.detach(), [t.grad for t in args]
    return Impl(call, lambda r: (r[0], r[1]))


def impl_tangent(data):
    import tangent

    def loss(x0, a, b, steps):
        x = x0
        for _ in range(steps):
            x = x + 0.001 * (a * x - b * x * x * x)
        return x * x
    dloss = tangent.grad(loss, wrt=(0, 1, 2))
    args = _args(data)
    return Impl(lambda: (loss(*args), dloss(*args)), lambda r: (r[0], list(r[1])))
