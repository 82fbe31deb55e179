"""Calls: module-level helpers (called several times, keyword arguments, defaults),
tuple returns and unpacking, methods of self, sub-cells at any depth, cells passed to
constructors (nn.WithLossCell), nn.Dense / SequentialCell / ReLU / Tanh / Sigmoid,
nn.MSELoss."""
import math

import autograd.numpy as anp
import numpy as np

import s2sgrad as ms
from s2sgrad import nn, ops, Parameter, Tensor
from . import Case, rng, away

FEATURE = "calls"


def param(seed, *shape, name, scale=0.5):
    return Parameter(Tensor(rng(seed).standard_normal(shape) * scale), name=name)


def dense64(n_in, n_out, seed, activation=None, has_bias=True):
    r = rng(seed)
    return nn.Dense(n_in, n_out, weight_init=Tensor(r.standard_normal((n_out, n_in)) * 0.5),
                    bias_init=Tensor(r.standard_normal(n_out) * 0.1), dtype=ms.float64,
                    activation=activation, has_bias=has_bias)


# helpers ---------------------------------------------------------------------------
def affine(x, w, b=None, scale=1.0):
    y = x @ w
    if b is not None:
        y = y + b
    return y * scale


def affine_bias(x, w, b=0.0, scale=1.0):
    return (x @ w + b) * scale


def softplus(x, beta=1.0):
    return np.log(1.0 + np.exp(x * beta)) / beta


def moments(x, axis=0):
    m = x.mean(axis)
    v = ((x - m) * (x - m)).mean(axis)
    return m, v


def smooth_l1(d, delta=1.0):
    a = np.abs(d)
    return np.where(a < delta, 0.5 * d * d / delta, a - 0.5 * delta)


def squared_norm(x):
    return (x * x).sum()


def normalize(x, eps=1e-6):
    return x / np.sqrt(squared_norm(x) + eps)


def scalar_poly(t, a, b=2.0, c=-1.0):
    return a * t * t + b * t + c


def clamp_scalar(v, lo, hi):
    if v < lo:
        return lo
    if v > hi:
        return hi
    return v


def count_positive(x):
    n = 0
    for i in range(x.shape[0]):
        if x[i] > 0:
            n += 1
    return n


def dot_loop(a, b):
    s = 0.0
    for i in range(a.shape[0]):
        s += a[i] * b[i]
    return s


# 1. one helper called several times with keywords and defaults
def ca_helper_kwargs(x, w1, w2, b):
    h = affine(x, w1, b=b)
    h = np.tanh(h)
    out = affine(h, w2, scale=0.5)
    out2 = affine(x=h, w=w2, b=None, scale=2.0)
    return (out * out2).sum()


def ca_helper_kwargs_ag(x, w1, w2, b):
    h = anp.tanh(anp.dot(x, w1) + b)
    out = anp.dot(h, w2) * 0.5
    out2 = anp.dot(h, w2) * 2.0
    return anp.sum(out * out2)


# 2. keyword default overridden at some call sites
def ca_softplus_beta(x):
    return softplus(x) + softplus(x, beta=2.0) + softplus(x, 0.5)


def ca_softplus_beta_ag(x):
    sp = lambda v, beta: anp.log(1.0 + anp.exp(v * beta)) / beta  # noqa: E731
    return sp(x, 1.0) + sp(x, 2.0) + sp(x, 0.5)


# 3. tuple return and unpacking
def ca_tuple_return(x):
    m, v = moments(x)
    m1, v1 = moments(x.T, axis=0)
    return (x - m) / np.sqrt(v + 1e-3) + (v1 * m1).sum()


def ca_tuple_return_ag(x):
    m = anp.mean(x, 0)
    v = anp.mean((x - m) * (x - m), 0)
    m1 = anp.mean(x.T, 0)
    v1 = anp.mean((x.T - m1) * (x.T - m1), 0)
    return (x - m) / anp.sqrt(v + 1e-3) + anp.sum(v1 * m1)


# 4. nested helpers
def ca_nested_helpers(x, y):
    return normalize(x) * squared_norm(y) + normalize(y, eps=1e-3)


def ca_nested_helpers_ag(x, y):
    nx = x / anp.sqrt(anp.sum(x * x) + 1e-6)
    ny = y / anp.sqrt(anp.sum(y * y) + 1e-3)
    return nx * anp.sum(y * y) + ny


# 5. helper with np.where (huber loss)
def ca_smooth_l1(pred, target):
    return smooth_l1(pred - target).mean() + smooth_l1(pred, delta=0.5).sum()


# 6. scalar helper with keywords
def ca_scalar_helper(x):
    t = x[0]
    return scalar_poly(t, x[1]) + scalar_poly(t, a=1.0, c=x[2]) * scalar_poly(x[1], 0.5, b=t)


def ca_scalar_helper_ag(x):
    sp = lambda t, a, b=2.0, c=-1.0: a * t * t + b * t + c  # noqa: E731
    t = x[0]
    return sp(t, x[1]) + sp(t, a=1.0, c=x[2]) * sp(x[1], 0.5, b=t)


# 7. helper with early returns
def ca_clamp_helper(x):
    a = clamp_scalar(x[0], -0.5, 0.5)
    b = clamp_scalar(x[1], -0.5, 0.5)
    c = clamp_scalar(x[2], -0.5, 0.5)
    return a * x[1] + b * c + c


# 8. helper with a loop and a branch returning an int
def ca_count_helper(x):
    k = count_positive(x)
    return x * k + x * x


# 9. helper with a loop returning a scalar, called twice
def ca_loop_helper(a, b):
    return dot_loop(a, b) * dot_loop(a, a)


def ca_loop_helper_ag(a, b):
    return anp.sum(a * b) * anp.sum(a * a)


# 10. a method of self
class CaSelfMethod(nn.Cell):
    def __init__(self):
        super().__init__()
        self.w = param(100, 3, 3, name="w")
        self.gamma = 0.7

    def gate(self, x):
        return 1.0 / (1.0 + np.exp(-x * self.gamma))

    def mix(self, a, b, alpha=0.3):
        return a * alpha + b * (1.0 - alpha)

    def construct(self, x):
        h = x @ self.w
        return self.mix(self.gate(h), np.tanh(h), alpha=0.25).sum()


ca_self_method = CaSelfMethod()


# 11. sub-cells three levels deep
class CaLeaf(nn.Cell):
    def __init__(self, seed):
        super().__init__()
        self.w = param(seed, 3, 3, name="w")

    def construct(self, x):
        return np.tanh(x @ self.w)


class CaMiddle(nn.Cell):
    def __init__(self, seed):
        super().__init__()
        self.a = CaLeaf(seed)
        self.b = CaLeaf(seed + 1)

    def construct(self, x):
        return self.a(x) + self.b(x) * 0.5


class CaTop(nn.Cell):
    def __init__(self):
        super().__init__()
        self.m1 = CaMiddle(110)
        self.m2 = CaMiddle(120)
        self.scale = param(130, 3, name="scale")

    def construct(self, x):
        return (self.m2(self.m1(x)) * self.scale).sum()


ca_deep_cells = CaTop()


# 12. WithLossCell(backbone, MSELoss)
class CaBackbone(nn.Cell):
    def __init__(self):
        super().__init__()
        self.fc1 = dense64(4, 5, 140)
        self.fc2 = dense64(5, 2, 141)
        self.act = nn.ReLU()

    def construct(self, x):
        return self.fc2(self.act(self.fc1(x)))


ca_with_loss = nn.WithLossCell(CaBackbone(), nn.MSELoss())


# 13. a cell passed to a user cell's constructor
class CaScaled(nn.Cell):
    def __init__(self, inner, factor):
        super().__init__()
        self.inner = inner
        self.factor = factor

    def construct(self, x):
        return self.inner(x) * self.factor + x.sum()


ca_cell_argument = CaScaled(nn.SequentialCell([dense64(3, 3, 150), nn.Tanh()]), 2.5)


# 14. Dense with activations by name and by cell
ca_dense_activations = nn.SequentialCell([dense64(3, 4, 160, activation="relu"),
                                          dense64(4, 4, 161, activation=nn.Sigmoid()),
                                          dense64(4, 2, 162, activation="tanh")])


# 15. Dense without bias and MSELoss with reduction="sum"
class CaRegression(nn.Cell):
    def __init__(self):
        super().__init__()
        self.fc = dense64(3, 1, 170, has_bias=False)
        self.loss = nn.MSELoss(reduction="sum")

    def construct(self, x, y):
        return self.loss(self.fc(x), y)


ca_regression = CaRegression()


# 16. the same sub-cell called twice (shared weights)
class CaShared(nn.Cell):
    def __init__(self):
        super().__init__()
        self.fc = dense64(3, 3, 180)
        self.act = nn.Tanh()

    def construct(self, x):
        h = self.act(self.fc(x))
        h = self.act(self.fc(h))
        return h


ca_shared = CaShared()


# 17. helper called from construct with a Parameter argument
def gated(x, w, bias=0.0):
    return np.tanh(x @ w + bias) * (1.0 / (1.0 + np.exp(-(x @ w))))


class CaHelperInCell(nn.Cell):
    def __init__(self):
        super().__init__()
        self.w = param(190, 3, 2, name="w")
        self.v = param(191, 2, 2, name="v")

    def construct(self, x):
        h = gated(x, self.w, bias=0.1)
        return gated(h, self.v).mean()


ca_helper_in_cell = CaHelperInCell()


# 18. tuple output of a cell and a helper returning three values
def stats3(x):
    return x.sum(), x.mean(), (x * x).sum()


def ca_three_returns(x):
    a, b, c = stats3(x)
    d, e, f = stats3(np.tanh(x))
    return a * e + b * f - c * d


# 19. helper with keyword-only use of a sub-expression and nested call arguments
def ca_nested_call_args(x, w):
    return affine_bias(np.tanh(affine_bias(x, w, scale=0.5)), w.T, b=x.mean(0), scale=1.5)


# 20. MSELoss on its own (a cell with no parameters)
ca_mse = nn.MSELoss()


# 21. helper method returning a tuple, unpacked in construct
class CaSplitCell(nn.Cell):
    def __init__(self):
        super().__init__()
        self.w = param(200, 4, 4, name="w")

    def halves(self, h):
        return h[:, :2], h[:, 2:]

    def construct(self, x):
        a, b = self.halves(x @ self.w)
        return (np.tanh(a) * (1.0 / (1.0 + np.exp(-b)))).sum()


ca_split_cell = CaSplitCell()


CASES = [
    Case("ca_helper_kwargs", ca_helper_kwargs,
         lambda: (rng(1).standard_normal((2, 3)), rng(2).standard_normal((3, 4)), rng(3).standard_normal((4, 2)),
                  rng(4).standard_normal(4)), ca_helper_kwargs_ag),
    Case("ca_softplus_beta", ca_softplus_beta, lambda: (rng(5).standard_normal((2, 3)),), ca_softplus_beta_ag),
    Case("ca_tuple_return", ca_tuple_return, lambda: (rng(6).standard_normal((3, 4)),), ca_tuple_return_ag),
    Case("ca_nested_helpers", ca_nested_helpers, lambda: (rng(7).standard_normal(4), rng(8).standard_normal(4)),
         ca_nested_helpers_ag),
    Case("ca_smooth_l1", ca_smooth_l1, lambda: (np.array([0.3, -1.6, 0.8, 2.1]), np.array([0.1, 0.2, -0.9, 0.4]))),
    Case("ca_scalar_helper", ca_scalar_helper, lambda: (rng(9).standard_normal(3),), ca_scalar_helper_ag),
    Case("ca_clamp_helper", ca_clamp_helper, lambda: (np.array([-0.9, 0.2, 0.8]),)),
    Case("ca_count_helper", ca_count_helper, lambda: (away(rng(10).standard_normal(5)),)),
    Case("ca_loop_helper", ca_loop_helper, lambda: (rng(11).standard_normal(4), rng(12).standard_normal(4)),
         ca_loop_helper_ag),
    Case("ca_self_method", ca_self_method, lambda: (rng(13).standard_normal((2, 3)),), check_params=True),
    Case("ca_deep_cells", ca_deep_cells, lambda: (rng(14).standard_normal((2, 3)),), check_params=True),
    Case("ca_with_loss", ca_with_loss, lambda: (rng(15).standard_normal((3, 4)), rng(16).standard_normal((3, 2))),
         check_params=True),
    Case("ca_cell_argument", ca_cell_argument, lambda: (rng(17).standard_normal((2, 3)),), check_params=True),
    Case("ca_dense_activations", ca_dense_activations, lambda: (rng(18).standard_normal((3, 3)),), check_params=True),
    Case("ca_regression", ca_regression, lambda: (rng(19).standard_normal((4, 3)), rng(20).standard_normal((4, 1))),
         check_params=True),
    Case("ca_shared", ca_shared, lambda: (rng(21).standard_normal((2, 3)),), check_params=True),
    Case("ca_helper_in_cell", ca_helper_in_cell, lambda: (rng(22).standard_normal((3, 3)),), check_params=True),
    Case("ca_three_returns", ca_three_returns, lambda: (rng(23).standard_normal(4),)),
    Case("ca_nested_call_args", ca_nested_call_args,
         lambda: (rng(24).standard_normal((2, 3)), rng(25).standard_normal((3, 3)))),
    Case("ca_mse", ca_mse, lambda: (rng(26).standard_normal((2, 3)), rng(27).standard_normal((2, 3)))),
    Case("ca_split_cell", ca_split_cell, lambda: (rng(28).standard_normal((2, 4)),), check_params=True),
]
