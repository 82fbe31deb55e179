"""Adjoints of elementwise arithmetic and linear algebra (MindSpore 2.10's rules)."""
# flake8: noqa: F821 -- names inside templates are primitives of the generated code.
from s2sgrad import primitives as P
from . import adjoint, d


@adjoint(P.add)
def add(z, x, y):
    d[x] = unbroadcast(d[z], x)
    d[y] = unbroadcast(d[z], y)


@adjoint(P.sub)
def sub(z, x, y):
    d[x] = unbroadcast(d[z], x)
    d[y] = unbroadcast(-d[z], y)


@adjoint(P.mul)
def mul(z, x, y):
    d[x] = unbroadcast(d[z] * y, x)
    d[y] = unbroadcast(d[z] * x, y)


@adjoint(P.div)
def div(z, x, y):
    d[x] = unbroadcast(d[z] / y, x)
    if is_one(x):            # z = 1 / y, so z / y is z * z: no second division
        d[y] = unbroadcast(-d[z] * z * z, y)
    else:
        d[y] = unbroadcast(-d[z] * z / y, y)


@adjoint(P.pow)
def pow(z, x, y):
    d[x] = unbroadcast(d[z] * y * x ** (y - 1), x)
    d[y] = unbroadcast(d[z] * log_or_zero(x, z), y)


@adjoint(P.neg)
def neg(z, x):
    d[x] = -d[z]


@adjoint(P.square)
def square(z, x):
    d[x] = d[z] * 2 * x


@adjoint(P.exp)
def exp(z, x):
    d[x] = d[z] * z


@adjoint(P.log)
def log(z, x):
    d[x] = d[z] / x


@adjoint(P.log1p)
def log1p(z, x):
    d[x] = d[z] / (1 + x)


@adjoint(P.expm1)
def expm1(z, x):
    d[x] = d[z] * (z + 1)


@adjoint(P.sqrt)
def sqrt(z, x):
    d[x] = d[z] / (2 * z)


@adjoint(P.relu)
def relu(z, x):
    d[x] = d[z] * (z > 0)


@adjoint(P.sigmoid)
def sigmoid(z, x):
    d[x] = d[z] * z * (1 - z)


@adjoint(P.tanh)
def tanh(z, x):
    d[x] = d[z] * (1 - z * z)


@adjoint(P.matmul)
def matmul(z, x, y, transpose_a, transpose_b):
    if x.ndim == 1 and y.ndim == 1:         # dot product
        d[x] = d[z] * y
        d[y] = d[z] * x
    elif x.ndim == 1:                       # vector @ matrix
        d[x] = matmul(y, d[z], False, False)
        d[y] = outer(x, d[z])
    elif y.ndim == 1:                       # matrix @ vector
        d[x] = outer(d[z], y)
        d[y] = matmul(x, d[z], True, False)
    elif transpose_a:
        d[x] = matmul(y, d[z], transpose_b, True)
    else:
        d[x] = matmul(d[z], y, False, not transpose_b)
    if x.ndim == 1 or y.ndim == 1:
        pass
    elif transpose_b:
        d[y] = matmul(d[z], x, True, transpose_a)
    else:
        d[y] = matmul(x, d[z], not transpose_a, False)


@adjoint(P.bias_add)
def bias_add(z, x, b):
    d[x] = d[z]
    d[b] = reduce_sum(d[z], all_axes_but(1, x.ndim), False)


# MindSpore 2.10: the larger input takes the gradient; ties split it 0.5 / 0.5.
@adjoint(P.maximum)
def maximum(z, x, y):
    d[x] = unbroadcast(d[z] * (x > y) + 0.5 * d[z] * (x == y), x)
    d[y] = unbroadcast(d[z] * (y > x) + 0.5 * d[z] * (x == y), y)


# The smaller input takes the gradient; ties split it 0.5 / 0.5.
@adjoint(P.minimum)
def minimum(z, x, y):
    d[x] = unbroadcast(d[z] * (x < y) + 0.5 * d[z] * (x == y), x)
    d[y] = unbroadcast(d[z] * (y < x) + 0.5 * d[z] * (x == y), y)


@adjoint(P.abs_)
def abs(z, x):
    d[x] = d[z] * sign(x)


@adjoint(P.sin)
def sin(z, x):
    d[x] = d[z] * cos(x)


@adjoint(P.cos)
def cos(z, x):
    d[x] = -d[z] * sin(x)


@adjoint(P.tan)
def tan(z, x):
    d[x] = d[z] * (1 + z * z)


@adjoint(P.erf)
def erf(z, x):
    d[x] = d[z] * 1.1283791670955126 * exp(-(x * x))      # 2 / sqrt(pi)


@adjoint(P.sign)
def sign(z, x):
    d[x] = zeros_like(x)


@adjoint(P.floor)
def floor(z, x):
    d[x] = zeros_like(x)


@adjoint(P.round_)
def round(z, x):
    d[x] = zeros_like(x)


# The gradient passes where min_value <= x <= max_value.
@adjoint(P.clip)
def clip(z, x, min_value, max_value):
    d[x] = d[z] * (x >= min_value) * (x <= max_value)


@adjoint(P.select)
def select(z, cond, x, y):
    d[cond] = zeros_like(cond)
    d[x] = unbroadcast(select(cond, d[z], 0), x)
    d[y] = unbroadcast(select(cond, 0, d[z]), y)


# The adjoint of a contraction is a contraction: d[x] = einsum(out, y -> x) and
# d[y] = einsum(x, out -> y); the two helpers derive those equations.
@adjoint(P.einsum2)
def einsum2(z, x, y, equation):
    d[x] = einsum_grad_a(d[z], x, y, equation)
    d[y] = einsum_grad_b(d[z], x, y, equation)
