"""W5: LSTM, 50 steps, hidden 32, batch 8, input 16, float32; loss = sum(h_T**2) on the
last hidden state; gradient with respect to the weights (w_ih [4H, I], w_hh [4H, H],
b [4H]; gate order i, f, g, o as in PyTorch)."""
import numba
import numpy as np
from numba.extending import register_jitable

from .common import Impl, hand_written

TITLE = "W5 LSTM, 50 steps, hidden 32, batch 8, float32"
WRT = "weights"
TOL = dict(rtol=2e-4, atol=2e-5)
FD_WRT = {0: 1, 1: 2, 2: 3}     # gradient index -> argument index, for the finite-difference test
WEIGHTS = ("w_ih", "w_hh", "b")


def make_data(size="full"):
    steps, batch, n_in, hidden = (50, 8, 16, 32) if size == "full" else (3, 2, 3, 4)
    rng = np.random.default_rng(0)
    bound = 1 / np.sqrt(hidden)
    f32 = np.float32
    return {"xs": rng.standard_normal((steps, batch, n_in)).astype(f32),
            "w_ih": rng.uniform(-bound, bound, (4 * hidden, n_in)).astype(f32),
            "w_hh": rng.uniform(-bound, bound, (4 * hidden, hidden)).astype(f32),
            "b": rng.uniform(-bound, bound, 4 * hidden).astype(f32)}


def _lstm_class():
    from s2sgrad import nn, ops, Tensor, Parameter

    class LSTM(nn.Cell):
        def __init__(self, w_ih, w_hh, b):
            super().__init__()
            self.w_ih = Parameter(Tensor(w_ih), name="w_ih")
            self.w_hh = Parameter(Tensor(w_hh), name="w_hh")
            self.b = Parameter(Tensor(b), name="b")
            self.hidden = w_hh.shape[1]
            self.matmul = ops.MatMul(transpose_b=True)
            self.sigmoid = ops.Sigmoid()
            self.tanh = ops.Tanh()

        def construct(self, xs):
            n = self.hidden
            h = np.zeros((xs.shape[1], n), xs.dtype)
            c = np.zeros((xs.shape[1], n), xs.dtype)
            for t in range(xs.shape[0]):
                gates = self.matmul(xs[t], self.w_ih) + self.matmul(h, self.w_hh) + self.b
                i = self.sigmoid(gates[:, 0:n])
                f = self.sigmoid(gates[:, n:2 * n])
                g = self.tanh(gates[:, 2 * n:3 * n])
                o = self.sigmoid(gates[:, 3 * n:4 * n])
                c = f * c + i * g
                h = o * self.tanh(c)
            return (h * h).sum()
    return LSTM


def impl_s2sgrad(data):
    from s2sgrad import nn, Tensor, ParameterTuple
    net = _lstm_class()(*(data[k] for k in WEIGHTS))
    train = nn.ForwardValueAndGrad(net, weights=ParameterTuple(net.trainable_params()), get_by_list=True)
    xs = Tensor(data["xs"])
    return Impl(lambda: train(xs), lambda r: (r[0], list(r[1])), info={"train": train, "args": (xs,)})


@register_jitable      # a plain function from Python (the tests' py_func), inlined by Numba
def _sigmoid(x):
    return np.float32(1) / (np.float32(1) + np.exp(-x))


@register_jitable
def _tanh(x):
    """float32 tanh through the float64 exp, as s2sgrad's kernel computes it (Numba's
    np.tanh calls libm's tanhf, three times slower), so both sides pay the same for it;
    float64 out, stored into the float32 arrays."""
    y = np.float64(x)
    e = np.exp(-2.0 * abs(y))
    return y if abs(y) < 1e-4 else np.copysign((1.0 - e) / (1.0 + e), y)


@numba.njit(cache=True)
def primal(xs, w_ih, w_hh, b):
    steps, batch, n_in = xs.shape
    n = w_hh.shape[1]
    zx = (xs.reshape(steps * batch, n_in) @ w_ih.T).reshape(steps, batch, 4 * n)   # one GEMM for all inputs
    h = np.zeros((batch, n), xs.dtype)
    c = np.zeros((batch, n), xs.dtype)
    for t in range(steps):
        z = h @ w_hh.T
        for r in range(batch):
            for j in range(n):
                i = _sigmoid(zx[t, r, j] + z[r, j] + b[j])
                f = _sigmoid(zx[t, r, n + j] + z[r, n + j] + b[n + j])
                g = _tanh(zx[t, r, 2 * n + j] + z[r, 2 * n + j] + b[2 * n + j])
                o = _sigmoid(zx[t, r, 3 * n + j] + z[r, 3 * n + j] + b[3 * n + j])
                c[r, j] = f * c[r, j] + i * g
                h[r, j] = o * _tanh(c[r, j])
    return (h * h).sum()


@numba.njit(cache=True)
def value_and_grad(xs, w_ih, w_hh, b):
    """Forward storing the gates, then backpropagation through time; the weight gradients
    are two GEMMs over all steps at the end."""
    steps, batch, n_in = xs.shape
    n = w_hh.shape[1]
    zx = (xs.reshape(steps * batch, n_in) @ w_ih.T).reshape(steps, batch, 4 * n)
    hs = np.zeros((steps + 1, batch, n), xs.dtype)      # hs[t]: the state before step t
    cs = np.zeros((steps + 1, batch, n), xs.dtype)
    acts = np.empty((steps, batch, 4 * n), xs.dtype)    # i, f, g, o after their nonlinearity
    for t in range(steps):
        z = hs[t] @ w_hh.T
        for r in range(batch):
            for j in range(n):
                i = _sigmoid(zx[t, r, j] + z[r, j] + b[j])
                f = _sigmoid(zx[t, r, n + j] + z[r, n + j] + b[n + j])
                g = _tanh(zx[t, r, 2 * n + j] + z[r, 2 * n + j] + b[2 * n + j])
                o = _sigmoid(zx[t, r, 3 * n + j] + z[r, 3 * n + j] + b[3 * n + j])
                acts[t, r, j], acts[t, r, n + j], acts[t, r, 2 * n + j], acts[t, r, 3 * n + j] = i, f, g, o
                cs[t + 1, r, j] = f * cs[t, r, j] + i * g
                hs[t + 1, r, j] = o * _tanh(cs[t + 1, r, j])
    h = hs[steps]
    dh = 2 * h
    dc = np.zeros((batch, n), xs.dtype)
    dzs = np.empty((steps, batch, 4 * n), xs.dtype)
    for t in range(steps - 1, -1, -1):
        for r in range(batch):
            for j in range(n):
                i, f, g, o = acts[t, r, j], acts[t, r, n + j], acts[t, r, 2 * n + j], acts[t, r, 3 * n + j]
                tc = _tanh(cs[t + 1, r, j])
                d = dc[r, j] + dh[r, j] * o * (1 - tc * tc)
                dzs[t, r, j] = d * g * i * (1 - i)
                dzs[t, r, n + j] = d * cs[t, r, j] * f * (1 - f)
                dzs[t, r, 2 * n + j] = d * i * (1 - g * g)
                dzs[t, r, 3 * n + j] = dh[r, j] * tc * o * (1 - o)
                dc[r, j] = d * f
        dh = dzs[t] @ w_hh
    dz_all = dzs.reshape(steps * batch, 4 * n)
    dw_ih = dz_all.T @ xs.reshape(steps * batch, n_in)
    dw_hh = dz_all.T @ hs[:steps].reshape(steps * batch, n)
    return (h * h).sum(), dw_ih, dw_hh, dz_all.sum(axis=0)


def _args(data):
    return [data[k] for k in ("xs",) + WEIGHTS]


impl_numba_primal, impl_numba_grad = hand_written(primal, value_and_grad, _args)


def impl_jax(data):
    import jax
    import jax.numpy as jnp

    def loss(params, xs):
        w_ih, w_hh, b = params
        n = w_hh.shape[1]

        def step(carry, x):
            h, c = carry
            z = x @ w_ih.T + h @ w_hh.T + b
            i, f, g, o = (jax.nn.sigmoid(z[:, :n]), jax.nn.sigmoid(z[:, n:2 * n]), jnp.tanh(z[:, 2 * n:3 * n]),
                          jax.nn.sigmoid(z[:, 3 * n:]))
            c = f * c + i * g
            return (o * jnp.tanh(c), c), None
        zeros = jnp.zeros((xs.shape[1], n), xs.dtype)
        (h, _), _ = jax.lax.scan(step, (zeros, zeros), xs)
        return jnp.sum(h * h)
    vg = jax.jit(jax.value_and_grad(loss))
    params = tuple(jnp.asarray(data[k]) for k in WEIGHTS)
    xs = jnp.asarray(data["xs"])
    return Impl(lambda: jax.block_until_ready(vg(params, xs)), lambda r: (r[0], list(r[1])), note="lax.scan")


def impl_torch(data):
    import torch
    params = [torch.tensor(data[k], requires_grad=True) for k in WEIGHTS]
    xs = torch.from_numpy(data["xs"])

    def call():
        w_ih, w_hh, b = params
        for p in params:
            p.grad = None
        n = w_hh.shape[1]
        h = torch.zeros(xs.shape[1], n)
        c = torch.zeros(xs.shape[1], n)
        for x in xs:
            z = x @ w_ih.T + h @ w_hh.T + b
            i, f, g, o = z.chunk(4, dim=1)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            h = torch.sigmoid(o) * torch.tanh(c)
        loss = (h * h).sum()
        loss.backward()
        return loss.detach(), [p.grad for p in params]
    return Impl(call, lambda r: (r[0], r[1]), note="loop of cell ops")


def impl_tangent(data):
    import tangent

    def sigmoid(x):
        return 1.0 / (1.0 + np.exp(-x))

    steps, batch, _ = data["xs"].shape
    n = data["w_hh"].shape[1]        # tangent differentiates no attribute reads (.shape): sizes are closed over

    def loss(xs, w_ih, w_hh, b):
        h = np.zeros((batch, n), np.float32)
        c = np.zeros((batch, n), np.float32)
        for t in range(steps):
            z = np.dot(xs[t], np.transpose(w_ih)) + np.dot(h, np.transpose(w_hh)) + b
            c = sigmoid(z[:, n:2 * n]) * c + sigmoid(z[:, 0:n]) * np.tanh(z[:, 2 * n:3 * n])
            h = sigmoid(z[:, 3 * n:4 * n]) * np.tanh(c)
        return np.sum(h * h)
    dloss = tangent.grad(loss, wrt=(1, 2, 3))
    args = _args(data)
    return Impl(lambda: (loss(*args), dloss(*args)), lambda r: (r[0], list(r[1])))
