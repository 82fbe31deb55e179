"""Cells with Parameters whose construct uses the features above (loops, branches,
element-level code, helpers, sub-cells); their Parameter gradients are checked too."""
import math

import numpy as np

import s2sgrad as ms
from s2sgrad import nn, ops, Parameter, Tensor
from . import Case, rng, away

FEATURE = "cells"


def param(seed, *shape, name, scale=0.5, shift=0.0):
    return Parameter(Tensor(rng(seed).standard_normal(shape) * scale + shift), name=name)


def dense64(n_in, n_out, seed, activation=None):
    r = rng(seed)
    return nn.Dense(n_in, n_out, weight_init=Tensor(r.standard_normal((n_out, n_in)) * 0.5),
                    bias_init=Tensor(r.standard_normal(n_out) * 0.1), dtype=ms.float64, activation=activation)


# 1. linear regression loss
class CeLinearRegression(nn.Cell):
    def __init__(self):
        super().__init__()
        self.w = param(1, 3, 1, name="w")
        self.b = param(2, 1, name="b")

    def construct(self, x, y):
        pred = x @ self.w + self.b
        return ((pred - y) ** 2).mean()


# 2. RNN over the leading axis of a (T, B, D) input
class CeRNN(nn.Cell):
    def __init__(self):
        super().__init__()
        self.wx = param(3, 3, 4, name="wx")
        self.wh = param(4, 4, 4, name="wh")
        self.b = param(5, 4, name="b", scale=0.1)

    def construct(self, xs):
        h = np.zeros((xs.shape[1], 4))
        for t in range(xs.shape[0]):
            h = np.tanh(xs[t] @ self.wx + h @ self.wh + self.b)
        return h.sum()


# 3. a branch whose condition depends on a Parameter
class CeParamBranch(nn.Cell):
    def __init__(self):
        super().__init__()
        self.w = param(6, 3, 2, name="w")
        self.v = param(7, 2, name="v")

    def construct(self, x):
        h = x @ self.w
        if (h * self.v).sum() > 0:
            out = np.tanh(h) * self.v
        else:
            out = h * h * self.v
        return out.sum()


# 4. Lennard-Jones energy with epsilon and sigma as Parameters
class CeLennardJones(nn.Cell):
    def __init__(self):
        super().__init__()
        self.eps = Parameter(Tensor(np.array([1.2])), name="eps")
        self.sigma = Parameter(Tensor(np.array([0.95])), name="sigma")

    def construct(self, pos):
        n = pos.shape[0]
        s2 = self.sigma[0] * self.sigma[0]
        energy = 0.0
        for i in range(n):
            for j in range(i + 1, n):
                r2 = 0.0
                for k in range(3):
                    d = pos[i, k] - pos[j, k]
                    r2 += d * d
                sr6 = (s2 / r2) ** 3
                energy += 4.0 * self.eps[0] * (sr6 * sr6 - sr6)
        return energy


def lj_inputs():
    grid = np.array([[0.0, 0.0, 0.0], [1.1, 0.0, 0.0], [0.0, 1.15, 0.0], [0.1, 0.1, 1.2]])
    return (grid + 0.03 * rng(8).standard_normal(grid.shape),)


# 5. explicit Euler with rate Parameters (damped oscillator)
class CeEuler(nn.Cell):
    def __init__(self):
        super().__init__()
        self.k = Parameter(Tensor(np.array([2.0, 0.3])), name="k")

    def construct(self, state):
        dt = 0.02
        x = state[0]
        v = state[1]
        for step in range(60):
            a = -self.k[0] * x - self.k[1] * v
            x = x + dt * v
            v = v + dt * a
        return x * v + x


# 6. single-head attention with projections
class CeAttention(nn.Cell):
    def __init__(self):
        super().__init__()
        self.wq = param(9, 4, 3, name="wq")
        self.wk = param(10, 4, 3, name="wk")
        self.wv = param(11, 4, 3, name="wv")
        self.softmax = ops.Softmax()

    def construct(self, x):
        q = x @ self.wq
        k = x @ self.wk
        v = x @ self.wv
        a = self.softmax(q @ k.T / math.sqrt(3.0))
        return (a @ v).sum(axis=0)


# 7. 1-D convolution with a kernel Parameter, written with loops
class CeConv1d(nn.Cell):
    def __init__(self):
        super().__init__()
        self.kernel = param(12, 3, name="kernel")
        self.bias = Parameter(Tensor(np.array([0.1])), name="bias")

    def construct(self, x):
        k = self.kernel.shape[0]
        out = np.zeros_like(x)
        for i in range(x.shape[0] - k + 1):
            acc = self.bias[0]
            for j in range(k):
                acc += x[i + j] * self.kernel[j]
            out[i] = np.tanh(acc)
        return out


# 8. layer norm with ops primitives
class CeLayerNorm(nn.Cell):
    def __init__(self):
        super().__init__()
        self.gamma = param(13, 4, name="gamma", shift=1.0)
        self.beta = param(14, 4, name="beta", scale=0.1)
        self.mean = ops.ReduceMean(keep_dims=True)
        self.sqrt = ops.Sqrt()

    def construct(self, x):
        mu = self.mean(x, -1)
        xc = x - mu
        var = self.mean(xc * xc, -1)
        return xc / self.sqrt(var + 1e-5) * self.gamma + self.beta


# 9. a GRU-like gated recurrence
class CeGated(nn.Cell):
    def __init__(self):
        super().__init__()
        self.wz = param(15, 3, 3, name="wz")
        self.wh = param(16, 3, 3, name="wh")
        self.sigmoid = ops.Sigmoid()

    def construct(self, xs):
        h = xs[0] * 0.0
        for t in range(xs.shape[0]):
            z = self.sigmoid(xs[t] @ self.wz + h)
            cand = np.tanh(xs[t] @ self.wh)
            h = z * h + (1.0 - z) * cand
        return h


# 10. softmax over Parameter logits mixing inputs
class CeMixture(nn.Cell):
    def __init__(self):
        super().__init__()
        self.logits = param(17, 1, 3, name="logits")
        self.softmax = ops.Softmax()

    def construct(self, x):
        w = self.softmax(self.logits)
        return (x * w).sum(axis=1)


# 11. polynomial with coefficient Parameters, Horner loop over elements
class CePolynomial(nn.Cell):
    def __init__(self):
        super().__init__()
        self.c = param(18, 5, name="c")

    def construct(self, xs):
        ys = np.zeros_like(xs)
        for k in range(xs.shape[0]):
            p = 0.0
            for i in range(self.c.shape[0]):
                p = p * xs[k] + self.c[i]
            ys[k] = p
        return ys


# 12. a fixed-count while loop updating with Parameters
class CeWhile(nn.Cell):
    def __init__(self):
        super().__init__()
        self.a = param(19, 3, 3, name="a", scale=0.4)

    def construct(self, x):
        i = 0
        h = x
        while i < 5:
            h = np.tanh(h @ self.a) + x
            i += 1
        return h.mean()


# 13. early return in construct
class CeEarlyReturn(nn.Cell):
    def __init__(self):
        super().__init__()
        self.w = param(20, 3, name="w")

    def construct(self, x):
        s = (x * self.w).sum()
        if s < 0:
            return s * s
        return np.exp(x * self.w).sum() * s


# 14. a user-defined loss cell inside WithLossCell
class CeHuberLoss(nn.Cell):
    def __init__(self, delta):
        super().__init__()
        self.delta = delta

    def construct(self, pred, target):
        d = pred - target
        a = np.abs(d)
        return np.where(a < self.delta, 0.5 * d * d, self.delta * (a - 0.5 * self.delta)).mean()


class CeBackbone(nn.Cell):
    def __init__(self):
        super().__init__()
        self.body = nn.SequentialCell([dense64(3, 4, 21), nn.Tanh(), dense64(4, 2, 22)])

    def construct(self, x):
        return self.body(x)


# 15. residual blocks looped over a tuple
class CeResidual(nn.Cell):
    def __init__(self, seed):
        super().__init__()
        self.fc = dense64(3, 3, seed)
        self.act = nn.Tanh()

    def construct(self, x):
        return x + self.act(self.fc(x)) * 0.5


class CeResNet(nn.Cell):
    def __init__(self):
        super().__init__()
        self.b1 = CeResidual(23)
        self.b2 = CeResidual(24)
        self.b3 = CeResidual(25)
        self.blocks = (self.b1, self.b2, self.b3)

    def construct(self, x):
        for block in self.blocks:
            x = block(x)
        return x


# 16. a 0-d Parameter
class CeScalarParam(nn.Cell):
    def __init__(self):
        super().__init__()
        self.alpha = Parameter(Tensor(np.array(0.7)), name="alpha")
        self.beta = Parameter(Tensor(np.array(-0.3)), name="beta")

    def construct(self, x):
        return np.tanh(x * self.alpha + self.beta) * self.alpha


# 17. element-wise writes into a 2-d array from a Parameter
class CeElementWrites(nn.Cell):
    def __init__(self):
        super().__init__()
        self.w = param(26, 3, 4, name="w")

    def construct(self, x):
        y = np.zeros((x.shape[0], x.shape[1]))
        for i in range(x.shape[0]):
            for j in range(x.shape[1]):
                y[i, j] = self.w[i, j] * x[i, j] + self.w[i, j] * self.w[i, j]
        return y


# 18. matrix-vector product with loops over a Parameter matrix
class CeMatVec(nn.Cell):
    def __init__(self):
        super().__init__()
        self.a = param(27, 3, 4, name="a")

    def construct(self, v):
        y = np.zeros(self.a.shape[0])
        for i in range(self.a.shape[0]):
            for j in range(v.shape[0]):
                y[i] += self.a[i, j] * v[j]
        return y


# 19. data-dependent loop length driven by the input, Parameters in the body
class CeDataLoop(nn.Cell):
    def __init__(self):
        super().__init__()
        self.w = param(28, 2, 2, name="w", scale=0.4)

    def construct(self, x):
        h = x
        s = 0.0
        for i in range(x.shape[0]):
            if x[i, 0] < 0:
                continue
            h = np.tanh(h @ self.w)
            s += h.sum()
        return s


# 20. nn.CellList iterated in construct, one element also indexed
class CeCellList(nn.Cell):
    def __init__(self):
        super().__init__()
        self.layers = nn.CellList([dense64(3, 4, 29), dense64(4, 4, 30), dense64(4, 3, 31)])
        self.act = nn.Tanh()

    def construct(self, x):
        h = x
        for layer in self.layers:
            h = self.act(layer(h))
        return h + self.layers[0](x).sum(axis=1, keepdims=True)


class CeUnitParams(nn.Cell):
    """W3 as a Cell with (1,) Parameters: the loop runs on numbers (unit_arrays.py)."""
    def __init__(self):
        super().__init__()
        self.a = Parameter(Tensor(np.array([0.9])), name="a")
        self.b = Parameter(Tensor(np.array([0.4])), name="b")

    def construct(self, x0):
        x = x0
        for _ in range(25):
            x = x + 0.05 * (self.a * x - self.b * x ** 3)
        return (x * x).sum()


# 21. nn.LSTMCell stepped over the sequence, and a two-layer bidirectional nn.LSTM (batch first)
#     from a given state: both of MindSpore's recurrent layers, in float64 for central differences
class CeLSTMCell(nn.Cell):
    def __init__(self):
        super().__init__()
        self.cell = nn.LSTMCell(3, 4, dtype=np.float64)

    def construct(self, xs):
        h = ops.zeros((xs.shape[1], 4), xs.dtype)
        c = ops.zeros((xs.shape[1], 4), xs.dtype)
        for t in range(xs.shape[0]):
            h, c = self.cell(xs[t], (h, c))
        return (h * h).sum() + c.sum()


class CeLSTM(nn.Cell):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(3, 4, num_layers=2, batch_first=True, bidirectional=True, dtype=np.float64)

    def construct(self, x, h0, c0):
        out, (h, c) = self.lstm(x, (h0, c0))
        return (out * out).sum() + (h * c).sum()


CASES = [
    Case("ce_linear_regression", CeLinearRegression(),
         lambda: (rng(40).standard_normal((5, 3)), rng(41).standard_normal((5, 1))), check_params=True),
    Case("ce_rnn", CeRNN(), lambda: (rng(42).standard_normal((4, 2, 3)),), check_params=True),
    Case("ce_param_branch", CeParamBranch(), lambda: (rng(43).standard_normal((2, 3)),), check_params=True),
    Case("ce_unit_params", CeUnitParams(), lambda: (np.array([0.7]),), check_params=True),
    Case("ce_lennard_jones", CeLennardJones(), lj_inputs, check_params=True),
    Case("ce_euler", CeEuler(), lambda: (np.array([1.0, -0.2]),), check_params=True),
    Case("ce_attention", CeAttention(), lambda: (rng(44).standard_normal((3, 4)),), check_params=True),
    Case("ce_conv1d", CeConv1d(), lambda: (rng(45).standard_normal(7),), check_params=True),
    Case("ce_layernorm", CeLayerNorm(), lambda: (rng(46).standard_normal((2, 4)),), check_params=True),
    Case("ce_gated", CeGated(), lambda: (rng(47).standard_normal((4, 2, 3)),), check_params=True),
    Case("ce_mixture", CeMixture(), lambda: (rng(48).standard_normal((2, 3)),), check_params=True),
    Case("ce_polynomial", CePolynomial(), lambda: (rng(49).standard_normal(4),), check_params=True),
    Case("ce_while", CeWhile(), lambda: (rng(50).standard_normal((2, 3)),), check_params=True),
    Case("ce_early_return", CeEarlyReturn(), lambda: (np.array([0.9, 0.4, 0.6]),), check_params=True),
    Case("ce_custom_loss", nn.WithLossCell(CeBackbone(), CeHuberLoss(0.5)),
         lambda: (rng(51).standard_normal((4, 3)), rng(52).standard_normal((4, 2)) * 1.5), check_params=True),
    Case("ce_resnet", CeResNet(), lambda: (rng(53).standard_normal((2, 3)),), check_params=True),
    Case("ce_scalar_param", CeScalarParam(), lambda: (rng(54).standard_normal(4),), check_params=True),
    Case("ce_element_writes", CeElementWrites(), lambda: (rng(55).standard_normal((3, 4)),), check_params=True),
    Case("ce_matvec", CeMatVec(), lambda: (rng(56).standard_normal(4),), check_params=True),
    Case("ce_cell_list", CeCellList(), lambda: (rng(58).standard_normal((2, 3)),), check_params=True),
    Case("ce_data_loop", CeDataLoop(), lambda: (away(rng(57).standard_normal((4, 2))),), check_params=True),
    Case("ce_lstm_cell", CeLSTMCell(), lambda: (rng(59).standard_normal((3, 2, 3)),), check_params=True),
    Case("ce_lstm", CeLSTM(), lambda: (rng(60).standard_normal((2, 3, 3)), 0.5 * rng(61).standard_normal((4, 2, 4)),
                                       0.5 * rng(62).standard_normal((4, 2, 4))), check_params=True),
]
