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
    if transpose_a:
        d[x] = matmul(y, d[z], transpose_b, True)
    else:
        d[x] = matmul(d[z], y, False, not transpose_b)
    if transpose_b:
        d[y] = matmul(d[z], x, True, transpose_a)
    else:
        d[y] = matmul(x, d[z], not transpose_a, False)


@adjoint(P.bias_add)
def bias_add(z, x, b):
    d[x] = d[z]
    d[b] = reduce_sum(d[z], all_axes_but(1, x.ndim), False)
