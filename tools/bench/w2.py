"""W2: MLP 784-256-10, batch 64, float32, ReLU, SoftmaxCrossEntropyWithLogits(sparse=True,
reduction='mean'); gradient with respect to the weights (Dense order: w1, b1, w2, b2)."""
import numba
import numpy as np

from .common import Impl, hand_written

TITLE = "W2 MLP 784-256-10, batch 64, float32"
WRT = "weights"
TOL = dict(rtol=2e-4, atol=2e-5)      # float32 through two BLAS matmuls of different blocking
FD_WRT = {0: 2, 1: 3, 2: 4, 3: 5}     # gradient index -> argument index, for the finite-difference test


def make_data(size="full"):
    n_in, n_hidden, n_out, batch = (784, 256, 10, 64) if size == "full" else (5, 4, 3, 2)
    rng = np.random.default_rng(0)
    bound1, bound2 = 1 / np.sqrt(n_in), 1 / np.sqrt(n_hidden)
    f32 = np.float32
    return {"x": rng.standard_normal((batch, n_in)).astype(f32),
            "labels": rng.integers(0, n_out, batch).astype(np.int32),
            "w1": rng.uniform(-bound1, bound1, (n_hidden, n_in)).astype(f32),
            "b1": rng.uniform(-bound1, bound1, n_hidden).astype(f32),
            "w2": rng.uniform(-bound2, bound2, (n_out, n_hidden)).astype(f32),
            "b2": rng.uniform(-bound2, bound2, n_out).astype(f32)}


WEIGHTS = ("w1", "b1", "w2", "b2")


def impl_s2sgrad(data):
    from s2sgrad import nn, Tensor, ParameterTuple
    w1, w2 = data["w1"], data["w2"]
    net = nn.SequentialCell([nn.Dense(w1.shape[1], w1.shape[0], weight_init=Tensor(w1), bias_init=Tensor(data["b1"])),
                             nn.ReLU(),
                             nn.Dense(w2.shape[1], w2.shape[0], weight_init=Tensor(w2), bias_init=Tensor(data["b2"]))])
    loss = nn.WithLossCell(net, nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean"))
    train = nn.ForwardValueAndGrad(loss, weights=ParameterTuple(net.trainable_params()), get_by_list=True)
    x, y = Tensor(data["x"]), Tensor(data["labels"])
    return Impl(lambda: train(x, y), lambda r: (r[0], list(r[1])), info={"train": train, "args": (x, y)})


@numba.njit(cache=True)
def primal(x, labels, w1, b1, w2, b2):
    h = np.maximum(x @ w1.T + b1, np.float32(0))
    logits = h @ w2.T + b2
    loss = 0.0
    for n in range(logits.shape[0]):
        m = logits[n].max()
        loss += m + np.log(np.exp(logits[n] - m).sum()) - logits[n, labels[n]]
    return loss / logits.shape[0]


@numba.njit(cache=True)
def value_and_grad(x, labels, w1, b1, w2, b2):
    z = x @ w1.T + b1
    h = np.maximum(z, np.float32(0))
    logits = h @ w2.T + b2
    batch = logits.shape[0]
    loss = 0.0
    dlogits = np.empty_like(logits)
    for n in range(batch):
        m = logits[n].max()
        e = np.exp(logits[n] - m)
        s = e.sum()
        loss += m + np.log(s) - logits[n, labels[n]]
        dlogits[n] = e / (s * batch)
        dlogits[n, labels[n]] -= np.float32(1.0 / batch)
    dz = (dlogits @ w2) * (z > 0)
    return (loss / batch, dz.T @ x, dz.sum(axis=0), dlogits.T @ h, dlogits.sum(axis=0))


def _args(data):
    return [data[k] for k in ("x", "labels") + WEIGHTS]


impl_numba_primal, impl_numba_grad = hand_written(primal, value_and_grad, _args)


def impl_jax(data):
    import jax
    import jax.numpy as jnp

    def loss(params, x, labels):
        w1, b1, w2, b2 = params
        logits = jax.nn.relu(x @ w1.T + b1) @ w2.T + b2
        return jnp.mean(jax.nn.logsumexp(logits, axis=1) - jnp.take_along_axis(logits, labels[:, None], 1)[:, 0])
    vg = jax.jit(jax.value_and_grad(loss))
    params = tuple(jnp.asarray(data[k]) for k in WEIGHTS)
    x, y = jnp.asarray(data["x"]), jnp.asarray(data["labels"])
    return Impl(lambda: jax.block_until_ready(vg(params, x, y)), lambda r: (r[0], list(r[1])))


def impl_torch(data):
    import torch
    w1, w2 = data["w1"], data["w2"]
    net = torch.nn.Sequential(torch.nn.Linear(w1.shape[1], w1.shape[0]), torch.nn.ReLU(),
                              torch.nn.Linear(w2.shape[1], w2.shape[0]))
    with torch.no_grad():
        for p, k in zip(net.parameters(), WEIGHTS):
            p.copy_(torch.from_numpy(data[k]))
    x, y = torch.from_numpy(data["x"]), torch.from_numpy(data["labels"]).long()

    def call():
        net.zero_grad(set_to_none=True)
        loss = torch.nn.functional.cross_entropy(net(x), y)
        loss.backward()
        return loss.detach(), [p.grad for p in net.parameters()]
    return Impl(call, lambda r: (r[0], r[1]))


def _mindspore(data, mode_name):
    import mindspore
    from mindspore import nn, Tensor, ParameterTuple
    mindspore.set_context(mode=getattr(mindspore, mode_name))
    w1, w2 = data["w1"], data["w2"]
    net = nn.SequentialCell([nn.Dense(w1.shape[1], w1.shape[0], weight_init=Tensor(w1), bias_init=Tensor(data["b1"])),
                             nn.ReLU(),
                             nn.Dense(w2.shape[1], w2.shape[0], weight_init=Tensor(w2), bias_init=Tensor(data["b2"]))])
    loss = nn.WithLossCell(net, nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean"))
    train = nn.ForwardValueAndGrad(loss, weights=ParameterTuple(net.trainable_params()), get_by_list=True)
    x, y = Tensor(data["x"]), Tensor(data["labels"])

    def call():
        r = train(x, y)
        r[0].asnumpy()
        return r
    return Impl(call, lambda r: (r[0], list(r[1])))


def impl_mindspore_pynative(data):
    return _mindspore(data, "PYNATIVE_MODE")


def impl_mindspore_graph(data):
    return _mindspore(data, "GRAPH_MODE")


def impl_tangent(data):
    import tangent

    def loss(x, onehot, w1, b1, w2, b2):
        h = np.maximum(np.dot(x, np.transpose(w1)) + b1, 0.0)
        logits = np.dot(h, np.transpose(w2)) + b2
        m = np.max(logits)
        lse = np.log(np.sum(np.exp(logits - m), axis=1)) + m
        return np.mean(lse - np.sum(logits * onehot, axis=1))
    dloss = tangent.grad(loss, wrt=(2, 3, 4, 5))
    args = [data["x"], np.eye(data["w2"].shape[0], dtype=np.float32)[data["labels"]]] + [data[k] for k in WEIGHTS]
    return Impl(lambda: (loss(*args), dloss(*args)), lambda r: (r[0], list(r[1])))
