"""Adjoints of element-level code: indexing, in-place writes, copies, conversions.
`d[x][index] += g` accumulates into an element (or slice) of x's adjoint in place;
`d[x][index] = 0` forgets the adjoint of an overwritten element."""
# flake8: noqa: F821 -- names inside templates are primitives of the generated code.
from s2sgrad import element_ops as E
from . import adjoint, d


@adjoint(E.getitem)
def getitem(z, x, index):
    d[x][index] += d[z]


@adjoint(E.setitem)
def setitem(z, x, value, index):
    d[value] = copy(d[x][index])      # a copy: the next line zeroes what a view would see
    d[x][index] = 0


@adjoint(E.copy)
def copy(z, x):
    d[x] = d[z]


@adjoint(E.to_scalar)
def to_scalar(z, x, dtype):
    d[x] = cast(d[z], dtype_of(x))


@adjoint(E.outer)
def outer(z, x, y):
    d[x] = matmul(d[z], y, False, False)
    d[y] = matmul(x, d[z], False, False)
