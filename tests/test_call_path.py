"""The unrolled call path (s2sgrad/fastcall.py) that a GradFunction tries first once a
program has run: every change that makes the general path pick or build another
program must also make the unrolled path step aside. Each case runs the program
twice (so the unrolled path is in place), changes one thing, and checks the result
against the gradient worked out by hand."""
import os

import numpy as np
import pytest

from s2sgrad import Parameter, Tensor, nn, ops

RNG = np.random.default_rng(0)


class Scaled(nn.Cell):
    """loss = k * sum((x @ w) * c) + sum(w flattened) + sum(x flattened), k = 2 when
    training: a Parameter, a constant, a training flag, and shapes baked into the program."""

    def __init__(self, w):
        super().__init__()
        self.w = Parameter(Tensor(w), name="w")
        self.matmul = ops.MatMul()

    def construct(self, x, c):
        y = self.matmul(x, self.w) * c
        if self.training:
            y = y * 2.0
        flat_w = ops.Reshape()(self.w, (self.w.shape[0] * self.w.shape[1],))
        flat_x = ops.Reshape()(x, (x.shape[0] * x.shape[1],))
        return ops.ReduceSum()(y) + ops.ReduceSum()(flat_w) + ops.ReduceSum()(flat_x)


def check(train, net, x, c):
    """The call against the loss and gradients worked out by hand."""
    w = net.w.asnumpy()
    k = 2.0 if net.training else 1.0
    seed = np.full((x.shape[0], w.shape[1]), k * c)
    loss, ((dx,), (dw,)) = train(Tensor(x), c)
    np.testing.assert_allclose(loss.asnumpy(), np.sum(x @ w) * k * c + np.sum(w) + np.sum(x), rtol=1e-12)
    np.testing.assert_allclose(dx.asnumpy(), seed @ w.T + 1.0, rtol=1e-12)
    np.testing.assert_allclose(dw.asnumpy(), x.T @ seed + 1.0, rtol=1e-12)


def warm():
    """A network whose unrolled path is in place for (x, 2.0)."""
    net = Scaled(RNG.normal(size=(3, 2)))
    train = nn.ForwardValueAndGrad(net, weights=net.trainable_params(), get_all=True, get_by_list=True)
    x = RNG.normal(size=(4, 3))
    for _ in range(2):
        check(train, net, x, 2.0)
    assert train._grad._fast is not None
    return net, train, x


def test_unrolled_path_is_used_after_the_first_call():
    net, train, x = warm()
    calls = []
    fast = train._grad._fast
    train._grad._fast = lambda args: calls.append(args) or fast(args)
    check(train, net, x, 2.0)
    assert len(calls) == 1


def test_another_shape():
    net, train, x = warm()
    check(train, net, RNG.normal(size=(5, 3)), 2.0)


def test_another_constant():
    net, train, x = warm()
    check(train, net, x, -1.5)


def test_new_parameter_values_and_a_new_layout():
    net, train, x = warm()
    net.w.set_data(Tensor(RNG.normal(size=(3, 2))))       # same layout: the same program, new values
    check(train, net, x, 2.0)
    net.w.set_data(Tensor(RNG.normal(size=(3, 4))))       # the reshape's size is baked in: a new program
    check(train, net, x, 2.0)


def test_a_training_flag():
    net, train, x = warm()
    net.set_train(True)
    check(train, net, x, 2.0)
    net.set_train(False)
    check(train, net, x, 2.0)


def test_sens_and_scalar_results():
    def f(x, y):
        return ops.ReduceSum()(x * y), x[0] * 2.0

    train = nn.ForwardValueAndGrad(f, get_all=True, sens_param=True)
    x, y = Tensor(np.array([1.0, 2.0])), Tensor(np.array(3.0))
    for sens in ((Tensor(np.array(1.0)), Tensor(np.array(1.0))), (Tensor(np.array(2.0)), Tensor(np.array(-1.0)))):
        (s, first), (dx, dy) = train(x, y, sens)
        a, b = sens[0].asnumpy(), sens[1].asnumpy()
        np.testing.assert_allclose(dx.asnumpy(), a * y.asnumpy() + b * np.array([2.0, 0.0]))
        np.testing.assert_allclose(dy.asnumpy(), a * 3.0)
        assert isinstance(s, Tensor) and s.asnumpy().shape == () and dy.asnumpy().shape == ()
    x32, y32 = Tensor(np.array([1.0, 2.0], np.float32)), Tensor(np.array(3.0, np.float32))   # another dtype
    (s, first), (dx, dy) = train(x32, y32, (Tensor(np.array(1.0, np.float32)), Tensor(np.array(1.0, np.float32))))
    assert s.asnumpy().dtype == dx.asnumpy().dtype == dy.asnumpy().dtype == np.float32
    np.testing.assert_allclose(dx.asnumpy(), [5.0, 3.0])


def test_an_assertion_failing_inside_numba_counts_as_numbas_error():
    from s2sgrad.fastcall import from_numba
    scope, inside_numba = {}, os.path.join("site-packages", "numba", "core", "x.py")
    exec(compile("def check():\n    assert False, 'not unique'\n", inside_numba, "exec"), scope)
    with pytest.raises(AssertionError) as inside:
        scope["check"]()
    assert from_numba(inside.value)
    with pytest.raises(AssertionError) as outside:
        assert False, "the user's own"
    assert not from_numba(outside.value)
