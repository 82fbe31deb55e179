"""ms.grad / ms.value_and_grad: MindSpore 2.10's output structures for grad_position,
weights, has_aux and return_ids on plain functions and Cells, values against central
finite differences, argument checks; set_context / get_context."""
import numpy as np
import pytest

import s2sgrad as ms
from s2sgrad import nn, ops, Tensor, Parameter, ParameterTuple

from gradcheck import numeric_grads

X = Tensor(np.array([0.5, -1.0, 2.0]))
Y = Tensor(np.array([1.5, 0.25, -0.5]))


def f(x, y):
    return (x * y * y).sum() + (ops.sin(x)).sum()


def f_aux(x, y):
    loss = (x * y * y).sum() + (ops.sin(x)).sum()
    return loss, x * 2.0, y.sum()


def fd(fn, args, wrt):
    out = fn(*args)
    return numeric_grads(fn, list(args), [np.ones(np.shape(out.asnumpy()))], wrt)


WANT_X, WANT_Y = fd(f, (X, Y), [0, 1])


class Net(nn.Cell):
    def __init__(self):
        super().__init__()
        self.w = Parameter(Tensor(np.array([1.0, 2.0, -1.0])), name="w")
        self.b = Parameter(Tensor(np.array(0.5)), name="b")

    def construct(self, x, y):
        return (ops.tanh(x * self.w) * y).sum() + self.b * self.b


NET = Net()


def close(got, want):
    np.testing.assert_allclose(got.asnumpy(), want, rtol=1e-6, atol=1e-8)


def test_int_position_gives_a_bare_tensor_and_value_and_grad_the_pair():
    g = ms.grad(f)(X, Y)
    assert isinstance(g, Tensor)
    close(g, WANT_X)
    value, g1 = ms.value_and_grad(f, grad_position=1)(X, Y)
    close(value, f(X, Y).asnumpy())
    close(g1, WANT_Y)


def test_tuple_positions_give_tuples_even_for_one_position():
    (g0,) = ms.grad(f, grad_position=(0,))(X, Y)
    close(g0, WANT_X)
    g1, g0 = ms.grad(f, grad_position=(1, 0))(X, Y)
    close(g1, WANT_Y)
    close(g0, WANT_X)


def test_weights_alone_and_with_positions():
    want_w, want_b = [np.asarray(g) for g in _fd_weights()]
    gw, gb = ms.grad(NET, grad_position=None, weights=ParameterTuple(NET.trainable_params()))(X, Y)
    close(gw, want_w)
    close(gb, want_b)
    value, (gy, (gw2, gb2)) = ms.value_and_grad(NET, grad_position=1, weights=NET.trainable_params())(X, Y)
    close(value, NET(X, Y).asnumpy())
    close(gy, fd(NET, (X, Y), [1])[0])
    close(gw2, want_w)
    gb_bare = ms.grad(NET, grad_position=None, weights=NET.b)(X, Y)
    assert isinstance(gb_bare, Tensor)
    close(gb_bare, want_b)


def _fd_weights():
    grads = []
    for p in (NET.w, NET.b):
        base = p.asnumpy().copy()
        g = np.zeros_like(base)
        for idx in np.ndindex(base.shape):
            vals = []
            for eps in (1e-6, -1e-6):
                v = base.copy()
                v[idx] += eps
                p.set_data(Tensor(v))
                vals.append(float(NET(X, Y).asnumpy()))
            g[idx] = (vals[0] - vals[1]) / 2e-6
        p.set_data(Tensor(base))
        grads.append(g)
    return grads


def test_has_aux_differentiates_only_the_first_output():
    gx, aux = ms.grad(f_aux, has_aux=True)(X, Y)
    close(gx, WANT_X)                                   # the aux outputs add nothing
    assert len(aux) == 2
    close(aux[0], X.asnumpy() * 2.0)
    (loss, a1, a2), (gx2, gy2) = ms.value_and_grad(f_aux, grad_position=(0, 1), has_aux=True)(X, Y)
    close(loss, f(X, Y).asnumpy())
    close(a2, Y.asnumpy().sum())
    close(gx2, WANT_X)
    close(gy2, WANT_Y)


def test_without_has_aux_every_output_is_differentiated():
    gx = ms.grad(f_aux)(X, Y)
    close(gx, WANT_X + 2.0)                            # + d(sum(x * 2))/dx; y.sum() has no x
    with pytest.raises(ValueError, match="has_aux is True, origin fn requires more than one outputs"):
        ms.grad(f, has_aux=True)(X, Y)


def test_return_ids_pairs_positions_and_names():
    (pair,) = ms.grad(f, grad_position=(1,), return_ids=True)(X, Y)
    assert pair[0] == 1
    close(pair[1], WANT_Y)
    names = ms.grad(NET, grad_position=None, weights=NET.trainable_params(), return_ids=True)(X, Y)
    assert [n for n, _ in names] == ["w", "b"]


def test_argument_checks_use_mindspore_messages():
    with pytest.raises(ValueError, match="`grad_position` and `weight` can not be None at the same time"):
        ms.grad(f, grad_position=None)
    with pytest.raises(TypeError, match="'grad_position' must be int or tuple"):
        ms.grad(f, grad_position=[0])
    with pytest.raises(ValueError, match="grad_position must be >= 0"):
        ms.grad(f, grad_position=-1)
    with pytest.raises(ValueError, match="duplicate positions"):
        ms.grad(f, grad_position=(0, 0))
    with pytest.raises(RuntimeError, match="Position index 5 is exceed input size"):
        ms.grad(f, grad_position=5)(X, Y)


def test_set_and_get_context():
    assert ms.get_context("mode") == ms.PYNATIVE_MODE == 1 and ms.GRAPH_MODE == 0
    ms.set_context(mode=ms.GRAPH_MODE, device_target="GPU")
    try:
        assert ms.get_context("mode") == 0 and ms.get_context("device_target") == "GPU"
    finally:
        ms.set_context(mode=ms.PYNATIVE_MODE, device_target="CPU")
    with pytest.raises(ValueError, match="not recognized"):
        ms.set_context(no_such_key=1)
    with pytest.raises(ValueError, match="'mode'"):
        ms.set_context(mode=2)
    with pytest.raises(ValueError, match="device_target"):
        ms.set_context(device_target="TPU")
    with pytest.raises(ValueError, match="not supported"):
        ms.get_context("no_such_key")
