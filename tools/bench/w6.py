"""W6: Gaussian mixture model objective as defined by ADBench / GradBench (log-likelihood
plus Wishart prior; icf = d log-diagonal entries then the strictly lower triangle column
by column), d=10, K=25, N=1000, float64; gradient with respect to alphas, means, icf."""
import math

import numba
import numpy as np
from numba.extending import register_jitable

from .common import Impl, hand_written

TITLE = "W6 GMM objective (ADBench), d=10, K=25, N=1000, float64"
WRT = "alphas, means, icf"
TOL = dict(rtol=1e-8, atol=1e-10)
FD_WRT = {0: 0, 1: 1, 2: 2}     # gradient index -> argument index, for the finite-difference test
PARAMS = ("alphas", "means", "icf")


def make_data(size="full"):
    d, k, n = (10, 25, 1000) if size == "full" else (3, 2, 4)
    rng = np.random.default_rng(0)
    gamma, m = 1.0, 0
    from scipy.special import multigammaln
    nw = d + m + 1
    return {"alphas": rng.standard_normal(k), "means": rng.uniform(size=(k, d)),
            "icf": 0.5 * rng.standard_normal((k, d * (d + 1) // 2)), "x": rng.standard_normal((n, d)),
            "gamma": gamma, "m": m,
            # the prior's parameter-free part: K * (log Gamma_d(nw/2) - nw d log(gamma / sqrt 2))
            "prior_const": k * (multigammaln(0.5 * nw, d) - nw * d * math.log(gamma / math.sqrt(2)))}


def _tril_index(d):
    """idx[i, j] = position of L[i, j] in an icf row (i > j), 0 elsewhere; mask: i > j."""
    idx = np.zeros((d, d), np.int64)
    p = d
    for j in range(d):
        for i in range(j + 1, d):
            idx[i, j] = p
            p += 1
    return idx, (idx > 0).astype(np.float64)


def _gmm_class():
    from s2sgrad import nn, ops, Tensor, Parameter

    class GMM(nn.Cell):
        def __init__(self, alphas, means, icf, gamma, m, prior_const):
            super().__init__()
            self.alphas = Parameter(Tensor(alphas), name="alphas")
            self.means = Parameter(Tensor(means), name="means")
            self.icf = Parameter(Tensor(icf), name="icf")
            self.gamma, self.m, self.prior_const = gamma, m, prior_const

        def construct(self, x):
            n = x.shape[0]
            d = x.shape[1]
            k = self.alphas.shape[0]
            qdiags = np.exp(self.icf[:, :d])
            sum_qs = np.sum(self.icf[:, :d], axis=1)
            ls = np.zeros((k, d, d))
            for c in range(k):
                p = d
                for j in range(d):
                    for i in range(j + 1, d):
                        ls[c, i, j] = self.icf[c, p]
                        p += 1
            xcentered = x.reshape(n, 1, d) - self.means.reshape(1, k, d)
            lx = qdiags * xcentered + np.einsum("ijk,mik->mij", ls, xcentered)
            inner = self.alphas + sum_qs - 0.5 * np.sum(lx * lx, axis=2)
            const = -n * d * 0.5 * math.log(2 * math.pi)
            frobenius = np.sum(qdiags * qdiags, axis=1) + np.sum(self.icf[:, d:] * self.icf[:, d:], axis=1)
            prior = np.sum(0.5 * self.gamma * self.gamma * frobenius - self.m * sum_qs) + self.prior_const
            return const + np.sum(ops.logsumexp(inner, 1)) - n * ops.logsumexp(self.alphas, 0) + prior
    return GMM


def impl_s2sgrad(data):
    from s2sgrad import nn, Tensor, ParameterTuple
    net = _gmm_class()(*(data[k] for k in PARAMS + ("gamma", "m", "prior_const")))
    train = nn.ForwardValueAndGrad(net, weights=ParameterTuple(net.trainable_params()), get_by_list=True)
    x = Tensor(data["x"])
    return Impl(lambda: train(x), lambda r: (r[0], list(r[1])), info={"train": train, "args": (x,)})


@register_jitable      # a plain function from Python (the tests' py_func), inlined by Numba
def _prepare(icf, d):
    k = icf.shape[0]
    qd = np.exp(icf[:, :d])
    ls = np.zeros((k, d, d))
    for c in range(k):
        p = d
        for j in range(d):
            for i in range(j + 1, d):
                ls[c, i, j] = icf[c, p]
                p += 1
    return qd, ls


@register_jitable      # a plain function from Python (the tests' py_func), inlined by Numba
def _lse(v):
    mx = v.max()
    return mx + np.log(np.exp(v - mx).sum())


@numba.njit(cache=True)
def primal(alphas, means, icf, x, gamma, m, prior_const):
    n, d = x.shape
    k = alphas.shape[0]
    qd, ls = _prepare(icf, d)
    sum_qs = icf[:, :d].sum(axis=1)
    main = np.empty(k)
    xc = np.empty(d)
    slse = 0.0
    for r in range(n):
        for c in range(k):
            for a in range(d):
                xc[a] = x[r, a] - means[c, a]
            sq = 0.0
            for a in range(d):
                z = qd[c, a] * xc[a]
                for b in range(a):
                    z += ls[c, a, b] * xc[b]
                sq += z * z
            main[c] = alphas[c] + sum_qs[c] - 0.5 * sq
        slse += _lse(main)
    prior = 0.5 * gamma * gamma * ((qd * qd).sum() + (icf[:, d:] * icf[:, d:]).sum()) - m * sum_qs.sum()
    return -n * d * 0.5 * np.log(2 * np.pi) + slse - n * _lse(alphas) + prior + prior_const


@numba.njit(cache=True)
def value_and_grad(alphas, means, icf, x, gamma, m, prior_const):
    n, d = x.shape
    k = alphas.shape[0]
    qd, ls = _prepare(icf, d)
    sum_qs = icf[:, :d].sum(axis=1)
    dalphas = np.zeros(k)
    dmeans = np.zeros((k, d))
    dqd = np.zeros((k, d))
    dls = np.zeros((k, d, d))
    dsum_qs = np.zeros(k)
    main = np.empty(k)
    xc = np.empty((k, d))
    zs = np.empty((k, d))
    dxc = np.empty(d)
    slse = 0.0
    for r in range(n):
        for c in range(k):
            for a in range(d):
                xc[c, a] = x[r, a] - means[c, a]
            sq = 0.0
            for a in range(d):
                z = qd[c, a] * xc[c, a]
                for b in range(a):
                    z += ls[c, a, b] * xc[c, b]
                zs[c, a] = z
                sq += z * z
            main[c] = alphas[c] + sum_qs[c] - 0.5 * sq
        lse = _lse(main)
        slse += lse
        for c in range(k):
            w = np.exp(main[c] - lse)        # d slse / d main[c]
            dalphas[c] += w
            dsum_qs[c] += w
            dxc[:] = 0.0
            for a in range(d):
                dz = -w * zs[c, a]
                dqd[c, a] += dz * xc[c, a]
                dxc[a] += dz * qd[c, a]
                for b in range(a):
                    dls[c, a, b] += dz * xc[c, b]
                    dxc[b] += dz * ls[c, a, b]
            for a in range(d):
                dmeans[c, a] -= dxc[a]
    lse_a = _lse(alphas)
    dalphas -= n * np.exp(alphas - lse_a)
    g2 = gamma * gamma
    prior = 0.5 * g2 * ((qd * qd).sum() + (icf[:, d:] * icf[:, d:]).sum()) - m * sum_qs.sum()
    dicf = np.zeros_like(icf)
    for c in range(k):
        for a in range(d):
            dicf[c, a] = (dqd[c, a] + g2 * qd[c, a]) * qd[c, a] + dsum_qs[c] - m
        p = d
        for j in range(d):
            for i in range(j + 1, d):
                dicf[c, p] = dls[c, i, j] + g2 * icf[c, p]
                p += 1
    value = -n * d * 0.5 * np.log(2 * np.pi) + slse - n * lse_a + prior + prior_const
    return value, dalphas, dmeans, dicf


def _args(data):
    return [data[k] for k in PARAMS + ("x", "gamma", "m", "prior_const")]


impl_numba_primal, impl_numba_grad = hand_written(primal, value_and_grad, _args)


def impl_jax(data):
    import jax
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    idx, mask = _tril_index(data["x"].shape[1])

    def objective(params, x):
        alphas, means, icf = params
        n, d = x.shape
        qdiags = jnp.exp(icf[:, :d])
        sum_qs = jnp.sum(icf[:, :d], axis=1)
        ls = icf[:, idx] * mask
        xc = x[:, None, :] - means[None, :, :]
        lx = qdiags * xc + jnp.einsum("ijk,mik->mij", ls, xc)
        inner = alphas + sum_qs - 0.5 * jnp.sum(lx ** 2, axis=2)
        frob = jnp.sum(qdiags ** 2, axis=1) + jnp.sum(icf[:, d:] ** 2, axis=1)
        prior = jnp.sum(0.5 * data["gamma"] ** 2 * frob - data["m"] * sum_qs) + data["prior_const"]
        return (-n * d * 0.5 * math.log(2 * math.pi) + jnp.sum(jax.nn.logsumexp(inner, axis=1))
                - n * jax.nn.logsumexp(alphas) + prior)
    vg = jax.jit(jax.value_and_grad(objective))
    params = tuple(jnp.asarray(data[k]) for k in PARAMS)
    x = jnp.asarray(data["x"])
    return Impl(lambda: jax.block_until_ready(vg(params, x)), lambda r: (r[0], list(r[1])))


def impl_torch(data):
    import torch
    idx, mask = _tril_index(data["x"].shape[1])
    idx, mask = torch.from_numpy(idx), torch.from_numpy(mask)
    params = [torch.tensor(data[k], requires_grad=True) for k in PARAMS]
    x = torch.from_numpy(data["x"])

    def call():
        alphas, means, icf = params
        for p in params:
            p.grad = None
        n, d = x.shape
        qdiags = torch.exp(icf[:, :d])
        sum_qs = icf[:, :d].sum(1)
        ls = icf[:, idx] * mask
        xc = x[:, None, :] - means[None]
        lx = qdiags * xc + torch.einsum("ijk,mik->mij", ls, xc)
        inner = alphas + sum_qs - 0.5 * (lx ** 2).sum(2)
        frob = (qdiags ** 2).sum(1) + (icf[:, d:] ** 2).sum(1)
        prior = (0.5 * data["gamma"] ** 2 * frob - data["m"] * sum_qs).sum() + data["prior_const"]
        loss = (-n * d * 0.5 * math.log(2 * math.pi) + torch.logsumexp(inner, 1).sum()
                - n * torch.logsumexp(alphas, 0) + prior)
        loss.backward()
        return loss.detach(), [p.grad for p in params]
    return Impl(call, lambda r: (r[0], r[1]))


def impl_tangent(data):
    import tangent
    idx, mask = _tril_index(data["x"].shape[1])
    gamma, m, prior_const = data["gamma"], data["m"], data["prior_const"]

    n, d = data["x"].shape
    k = len(data["alphas"])          # tangent differentiates no attribute reads (.shape): sizes are closed over

    def objective(alphas, means, icf, x):
        qdiags = np.exp(icf[:, :d])
        sum_qs = np.sum(icf[:, :d], axis=1)
        ls = icf[:, idx] * mask
        xc = np.reshape(x, (n, 1, d)) - np.reshape(means, (1, k, d))
        lx = qdiags * xc + np.einsum("ijk,mik->mij", ls, xc)
        inner = alphas + sum_qs - 0.5 * np.sum(lx * lx, axis=2)
        mx = np.max(inner, axis=1)
        lse = np.log(np.sum(np.exp(inner - np.reshape(mx, (n, 1))), axis=1)) + mx
        ma = np.max(alphas)
        lse_a = np.log(np.sum(np.exp(alphas - ma))) + ma
        frob = np.sum(qdiags * qdiags, axis=1) + np.sum(icf[:, d:] * icf[:, d:], axis=1)
        prior = np.sum(0.5 * gamma * gamma * frob - m * sum_qs) + prior_const
        return -n * d * 0.5 * np.log(2 * np.pi) + np.sum(lse) - n * lse_a + prior
    dobj = tangent.grad(objective, wrt=(0, 1, 2))
    args = [data[k] for k in PARAMS + ("x",)]
    return Impl(lambda: (objective(*args), dobj(*args)), lambda r: (r[0], list(r[1])))
