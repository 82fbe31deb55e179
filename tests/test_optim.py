"""Optimizers: three steps of each against a NumPy transcription of MindSpore 2.10's
update formula (in the parameter's dtype), parameter groups, learning-rate schedules,
argument checks; TrainOneStepCell lowers an MLP's loss and its state checkpoints."""
import numpy as np
import pytest

import s2sgrad as ms
from s2sgrad import nn, Tensor, Parameter

RNG = np.random.default_rng(3)
GRADS = [[RNG.standard_normal((2, 3)).astype(np.float32), RNG.standard_normal(3)] for _ in range(3)]


def make_params():
    return [Parameter(Tensor(np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]], np.float32)), name="w"),
            Parameter(Tensor(np.array([0.1, -0.2, 0.3])), name="gamma")]       # float64; 'gamma': no decay


def run(make_opt):
    params = make_params()
    opt = make_opt(params)
    for step in GRADS:
        opt(tuple(Tensor(g) for g in step))
    return [p.asnumpy() for p in params], opt


def reference(update, decay_names=("w",), wd=0.0, loss_scale=1.0, lrs=None):
    """Apply `update(i, p, g, state, lr)` for 3 steps in each parameter's dtype."""
    params = [p.asnumpy().copy() for p in make_params()]
    states = [{} for _ in params]
    for step, grads in enumerate(GRADS):
        for i, (p, g, name) in enumerate(zip(params, grads, ("w", "gamma"))):
            t = p.dtype.type
            g = g.astype(p.dtype)
            if wd > 0 and name in decay_names:
                g = g + p * t(wd * loss_scale)
            if loss_scale != 1.0:
                g = g * t(1.0 / loss_scale)
            lr = t(np.float32(lrs[step] if lrs is not None else 0.1))
            update(step, p, g, states[i], lr, t)
    return params


def check(got, want, rtol=2e-6, atol=1e-7):
    for g, w in zip(got, want):
        assert g.dtype == w.dtype
        np.testing.assert_allclose(g, w, rtol=rtol, atol=atol)


@pytest.mark.parametrize("nesterov,dampening", [(False, 0.0), (True, 0.0), (False, 0.3)])
def test_sgd_matches_mindspore_kernel(nesterov, dampening):
    mom, wd = 0.9, 0.05
    got, opt = run(lambda ps: nn.SGD(ps, learning_rate=0.1, momentum=mom, dampening=dampening, weight_decay=wd,
                                     nesterov=nesterov))

    def update(step, p, g, s, lr, t):
        g = g + p * t(wd)                          # SGD's kernel decays every parameter
        if step == 0:
            s["v"] = g.copy()
        else:
            s["v"] = s["v"] * t(np.float32(mom)) + (t(1) - t(dampening)) * g
        p -= lr * (g + s["v"] * t(np.float32(mom)) if nesterov else s["v"])
    check(got, reference(update))
    assert [x.name for x in opt.accum] == ["accum.w", "accum.gamma"]


def test_plain_sgd_defaults():
    got, _ = run(lambda ps: nn.SGD(ps))

    def update(step, p, g, s, lr, t):
        p -= lr * g
    check(got, reference(update))


@pytest.mark.parametrize("nesterov", [False, True])
def test_momentum_with_weight_decay_and_loss_scale(nesterov):
    mom, wd, ls = 0.8, 0.01, 4.0
    got, opt = run(lambda ps: nn.Momentum(ps, 0.1, mom, weight_decay=wd, loss_scale=ls, use_nesterov=nesterov))

    def update(step, p, g, s, lr, t):
        u = t(np.float32(mom))
        s["v"] = s.get("v", np.zeros_like(p)) * u + g
        p -= (g * lr + s["v"] * u * lr) if nesterov else lr * s["v"]
    check(got, reference(update, wd=wd, loss_scale=ls))
    assert [x.name for x in opt.moments] == ["moments.w", "moments.gamma"]


@pytest.mark.parametrize("nesterov", [False, True])
def test_adam_matches_mindspore_kernel(nesterov):
    b1, b2, eps, wd = 0.9, 0.999, 1e-8, 0.02
    got, opt = run(lambda ps: nn.Adam(ps, learning_rate=0.1, use_nesterov=nesterov, weight_decay=wd))
    powers = {}

    def update(step, p, g, s, lr, t):
        b1p = np.float32(np.float32(b1) ** np.float32(step + 1))
        b2p = np.float32(np.float32(b2) ** np.float32(step + 1))
        one = t(1)
        lr_t = lr * np.sqrt(one - t(b2p)) / (one - t(b1p))
        m = s.setdefault("m", np.zeros_like(p))
        v = s.setdefault("v", np.zeros_like(p))
        m += (g - m) * (one - t(np.float32(b1)))
        v += (g * g - v) * (one - t(np.float32(b2)))
        num = m * t(np.float32(b1)) + (one - t(np.float32(b1))) * g if nesterov else m
        p -= lr_t * num / (np.sqrt(v) + t(np.float32(eps)))
    check(got, reference(update, wd=wd), rtol=1e-5, atol=3e-6)   # float32 cancellation near 0
    assert abs(float(opt.beta1_power.asnumpy()) - b1 ** 3) < 1e-6


def test_adam_weight_decay_and_adamw():
    b1, b2, wd = 0.9, 0.999, 0.1
    got, _ = run(lambda ps: nn.AdamWeightDecay(ps, learning_rate=0.1, weight_decay=wd))

    def awd(step, p, g, s, lr, t):
        one = t(1)
        m = s.setdefault("m", np.zeros_like(p))
        v = s.setdefault("v", np.zeros_like(p))
        m[...] = t(np.float32(b1)) * m + (one - t(np.float32(b1))) * g
        v[...] = t(np.float32(b2)) * v + (one - t(np.float32(b2))) * g * g
        decay = t(wd) * p if s.get("decay") else 0
        p -= lr * (m / (t(np.float32(1e-6)) + np.sqrt(v)) + decay)
    # 'gamma' is exempt from decay when parameters are not grouped
    want = reference(lambda st, p, g, s, lr, t: (s.setdefault("decay", p.dtype == np.float32), awd(st, p, g, s, lr, t)))
    check(got, want, rtol=1e-5, atol=3e-6)

    got, _ = run(lambda ps: nn.AdamW(ps, learning_rate=0.1, weight_decay=wd))

    def adamw(step, p, g, s, lr, t):
        one = t(1)
        if p.dtype == np.float32:
            p *= one - lr * t(wd)
        m = s.setdefault("m", np.zeros_like(p))
        v = s.setdefault("v", np.zeros_like(p))
        m[...] = t(np.float32(b1)) * m + (one - t(np.float32(b1))) * g
        v[...] = t(np.float32(b2)) * v + (one - t(np.float32(b2))) * g * g
        b1p, b2p = np.float32(b1) ** (step + 1), np.float32(b2) ** (step + 1)
        p -= lr * (m / (one - t(b1p))) / (np.sqrt(v / (one - t(b2p))) + t(np.float32(1e-8)))
    check(got, reference(adamw), rtol=1e-5, atol=3e-6)


def test_parameter_groups_and_learning_rate_schedule():
    lrs = [0.1, 0.05, 0.01]

    def make(ps):
        return nn.SGD([{"params": [ps[0]], "lr": lrs, "weight_decay": 0.1}, {"params": [ps[1]]}],
                      learning_rate=0.2)
    got, opt = run(make)
    params = [p.asnumpy().copy() for p in make_params()]
    for step, grads in enumerate(GRADS):
        w, gamma = params
        t = np.float32
        w -= t(lrs[step]) * (grads[0] + w * t(0.1))
        gamma -= np.float64(np.float32(0.2)) * grads[1]
    check(got, params)
    assert int(opt.global_step.asnumpy()[0]) == 3
    with pytest.raises(ValueError, match="schedule .* 3 steps"):
        opt(tuple(Tensor(g) for g in GRADS[0]))


def test_optimizer_argument_and_gradient_checks():
    w = make_params()
    with pytest.raises(ValueError, match="must not be empty"):
        nn.SGD([])
    with pytest.raises(ValueError, match="'momentum' must be at least 0.0"):
        nn.SGD(w, momentum=-1.0)
    with pytest.raises(ValueError, match="'nesterov' is true"):
        nn.SGD(w, nesterov=True)
    with pytest.raises(TypeError, match="'momentum' must be float"):
        nn.Momentum(w, 0.1, 1)
    with pytest.raises(ValueError, match="beta1"):
        nn.Adam(w, beta1=1.0)
    with pytest.raises(KeyError, match="group params"):
        nn.SGD([{"params": w, "momentum": 0.9}])
    opt = nn.SGD(w)
    with pytest.raises(ValueError, match="got 1 gradients for 2 parameters"):
        opt((Tensor(np.ones((2, 3), np.float32)),))
    with pytest.raises(ValueError, match="gradient of parameter 'gamma' has shape"):
        opt((Tensor(np.ones((2, 3), np.float32)), Tensor(np.ones(4))))
    grad = np.ones((2, 3), np.float32)
    opt((Tensor(grad), Tensor(np.ones(3))))
    np.testing.assert_array_equal(grad, np.ones((2, 3), np.float32))      # inputs are not mutated


class MLP(nn.Cell):
    def __init__(self):
        super().__init__()
        self.l1 = nn.Dense(4, 8, activation="tanh")
        self.l2 = nn.Dense(8, 3)

    def construct(self, x):
        return self.l2(self.l1(x))


def test_train_one_step_cell_lowers_the_loss_and_checkpoints_optimizer_state(tmp_path):
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((16, 4)).astype(np.float32))
    y = Tensor(rng.integers(0, 3, 16).astype(np.int32))
    net = nn.WithLossCell(MLP(), nn.CrossEntropyLoss())
    opt = nn.Adam(net.trainable_params(), learning_rate=0.05)
    train = nn.TrainOneStepCell(net, opt)
    losses = [float(train(x, y).asnumpy()) for _ in range(30)]
    assert losses[-1] < 0.5 * losses[0]
    path = str(tmp_path / "train.ckpt")
    ms.save_checkpoint(train, path)
    names = list(ms.load_checkpoint(path))
    assert "l1.weight" in names and "moment1.l1.weight" in names and "beta1_power" in names
    # a fresh training cell restored from the checkpoint continues exactly like the original
    net2 = nn.WithLossCell(MLP(), nn.CrossEntropyLoss())
    train2 = nn.TrainOneStepCell(net2, nn.Adam(net2.trainable_params(), learning_rate=0.05))
    assert ms.load_param_into_net(train2, ms.load_checkpoint(path)) == ([], [])
    assert float(train2(x, y).asnumpy()) == float(train(x, y).asnumpy())
    # sens scales the gradients: the same step with sens=2 equals lr doubled for plain SGD
    w = net.trainable_params()
    sgd_a = nn.TrainOneStepCell(net, nn.SGD(w, learning_rate=0.02), sens=2.0)
    before = [p.asnumpy().copy() for p in w]
    sgd_a(x, y)
    delta_a = [p.asnumpy() - b for p, b in zip(w, before)]
    for p, b in zip(w, before):
        p.set_data(Tensor(b))
    nn.TrainOneStepCell(net, nn.SGD(w, learning_rate=0.04))(x, y)
    for p, b, d in zip(w, before, delta_a):
        np.testing.assert_allclose(p.asnumpy() - b, d, rtol=1e-4, atol=1e-7)
