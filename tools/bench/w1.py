"""W1: MindSpore's ForwardValueAndGrad example (examples/forward_value_and_grad.py):
MatMul -> SoftmaxCrossEntropyWithLogits(reduction='none'), get_all + get_by_list.

Gradients, in order: d inputs, d labels, d weight. MindSpore's SoftmaxCrossEntropyWithLogits
differentiates as dlogits = softmax - labels and dlabels = 0 (exact math would give
softmax * sum(labels) - labels, which differs here: the labels are all ones). The peers
write MindSpore's rule as the loss value plus `f - stop_gradient(f)` with
f = logsumexp(logits) - sum(labels * logits), whose gradient is exactly that rule."""
import numba
import numpy as np

from .common import Impl, hand_written

TITLE = "W1 reference example (1x2 @ 2x2, softmax CE)"
WRT = "inputs, labels, weight"
TOL = dict(rtol=1e-5, atol=1e-6)      # float32


FD_WRT = {0: 0, 2: 2}      # gradient index -> argument index checked by finite differences (labels: 0 by rule)


def make_data(size="full"):
    if size == "full":     # the example's own values
        return {"x": np.ones([1, 2], np.float32), "labels": np.ones([1, 2], np.float32),
                "w": np.ones([2, 2], np.float32)}
    # tests: one-hot labels, where MindSpore's rule equals exact math and finite differences apply
    rng = np.random.default_rng(0)
    return {"x": rng.standard_normal((3, 2)).astype(np.float32), "labels": np.eye(2, dtype=np.float32)[[0, 1, 1]],
            "w": rng.standard_normal((2, 2)).astype(np.float32)}


def _args(data):
    return [data["x"], data["labels"], data["w"]]


def _net_classes():
    from s2sgrad import nn, ops, Tensor, Parameter

    class Net(nn.Cell):
        def __init__(self, w):
            super(Net, self).__init__()
            self.weight = Parameter(Tensor(w), name="weight")
            self.matmul = ops.MatMul()

        def construct(self, x):
            out = self.matmul(x, self.weight)
            return out
    return Net


def impl_s2sgrad(data):
    from s2sgrad import nn, Tensor, ParameterTuple
    net = _net_classes()(data["w"])
    train = nn.ForwardValueAndGrad(nn.WithLossCell(net, nn.SoftmaxCrossEntropyWithLogits()),
                                   weights=ParameterTuple(net.trainable_params()), get_all=True, get_by_list=True)
    x, y = Tensor(data["x"]), Tensor(data["labels"])

    def extract(r):
        loss, ((dx, dy), (dw,)) = r
        return loss, [dx, dy, dw]
    return Impl(lambda: train(x, y), extract, info={"train": train})


@numba.njit(cache=True)
def primal(x, labels, w):
    logits = x @ w
    n, c = logits.shape
    loss = np.empty(n, x.dtype)
    for i in range(n):
        m = logits[i].max()
        s = 0.0
        for j in range(c):
            s += np.exp(logits[i, j] - m)
        lse = m + np.log(s)
        acc = 0.0
        for j in range(c):
            acc -= labels[i, j] * (logits[i, j] - lse)
        loss[i] = acc
    return loss


@numba.njit(cache=True)
def value_and_grad(x, labels, w):
    logits = x @ w
    n, c = logits.shape
    loss = np.empty(n, x.dtype)
    dlogits = np.empty_like(logits)
    for i in range(n):
        m = logits[i].max()
        s = 0.0
        for j in range(c):
            s += np.exp(logits[i, j] - m)
        lse = m + np.log(s)
        acc = 0.0
        for j in range(c):
            acc -= labels[i, j] * (logits[i, j] - lse)
            dlogits[i, j] = np.exp(logits[i, j] - lse) - labels[i, j]    # MindSpore's rule
        loss[i] = acc
    return loss, dlogits @ w.T, np.zeros_like(labels), x.T @ dlogits


impl_numba_primal, impl_numba_grad = hand_written(primal, value_and_grad, _args)


def impl_jax(data):
    import jax
    import jax.numpy as jnp

    def loss(x, labels, w):
        labels = jax.lax.stop_gradient(labels)
        logits = x @ w
        value = -(labels * jax.nn.log_softmax(logits, axis=-1)).sum(-1)
        f = jax.nn.logsumexp(logits, axis=-1) - (labels * logits).sum(-1)
        return jax.lax.stop_gradient(value) + f - jax.lax.stop_gradient(f)

    @jax.jit
    def vg(x, labels, w):
        out, pullback = jax.vjp(loss, x, labels, w)
        return out, pullback(jnp.ones_like(out))
    args = [jnp.asarray(data[k]) for k in ("x", "labels", "w")]
    return Impl(lambda: jax.block_until_ready(vg(*args)), lambda r: (r[0], list(r[1])))


def impl_torch(data):
    import torch
    x, y, w = (torch.tensor(data[k]) for k in ("x", "labels", "w"))
    x.requires_grad_(True)
    w.requires_grad_(True)

    def call():
        x.grad = w.grad = None
        logits = x @ w
        loss = -(y * torch.log_softmax(logits, dim=-1)).sum(-1).detach()
        f = torch.logsumexp(logits, dim=-1) - (y * logits).sum(-1)
        loss = loss + f - f.detach()
        loss.backward(torch.ones_like(loss))
        return loss.detach(), x.grad, w.grad
    return Impl(call, lambda r: (r[0], [r[1], torch.zeros_like(y), r[2]]))


def _mindspore(data, mode_name):
    import mindspore
    from mindspore import nn, ops, Tensor, Parameter, ParameterTuple
    mindspore.set_context(mode=getattr(mindspore, mode_name))

    class Net(nn.Cell):
        def __init__(self):
            super(Net, self).__init__()
            self.weight = Parameter(Tensor(data["w"]), name="weight")
            self.matmul = ops.MatMul()

        def construct(self, x):
            return self.matmul(x, self.weight)
    net = Net()
    train = nn.ForwardValueAndGrad(nn.WithLossCell(net, nn.SoftmaxCrossEntropyWithLogits()),
                                   weights=ParameterTuple(net.trainable_params()), get_all=True, get_by_list=True)
    x, y = Tensor(data["x"]), Tensor(data["labels"])

    def call():
        r = train(x, y)
        r[0].asnumpy()                   # wait for the result (MindSpore may run asynchronously)
        return r

    def extract(r):
        loss, ((dx, dy), (dw,)) = r
        return loss, [dx, dy, dw]
    return Impl(call, extract)


def impl_mindspore_pynative(data):
    return _mindspore(data, "PYNATIVE_MODE")


def impl_mindspore_graph(data):
    return _mindspore(data, "GRAPH_MODE")


def impl_tangent(data):
    import tangent

    def loss(x, labels, w):
        logits = np.dot(x, w)
        m = np.max(logits)
        lse = m + np.log(np.sum(np.exp(logits - m)))
        return -np.sum(labels * (logits - lse))

    def surrogate(x, labels, w):          # its gradient is MindSpore's rule (one sample)
        logits = np.dot(x, w)
        m = np.max(logits)
        lse = m + np.log(np.sum(np.exp(logits - m)))
        return lse - np.sum(labels * logits)
    dloss = tangent.grad(surrogate, wrt=(0, 2))
    x, y, w = (data[k].astype(np.float64) for k in ("x", "labels", "w"))

    def call():
        return loss(x, y, w), dloss(x, y, w)
    return Impl(call, lambda r: (np.array([r[0]]), [r[1][0], np.zeros_like(y), r[1][1]]), note="1 sample")
