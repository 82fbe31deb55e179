"""Adjoints of reductions, shape operations and casts."""
# flake8: noqa: F821 -- names inside templates are primitives of the generated code.
from s2sgrad import primitives as P
from . import adjoint, d


@adjoint(P.reduce_sum)
def reduce_sum(z, x, axis, keep_dims):
    d[x] = broadcast_to(expand_reduced(d[z], axis, keep_dims, x.ndim), x.shape)


@adjoint(P.reduce_mean)
def reduce_mean(z, x, axis, keep_dims):
    d[x] = broadcast_to(expand_reduced(d[z] / reduced_count(x, axis), axis, keep_dims, x.ndim), x.shape)


@adjoint(P.reshape)
def reshape(z, x, shape):
    d[x] = reshape(d[z], x.shape)


@adjoint(P.transpose)
def transpose(z, x, perm):
    d[x] = transpose(d[z], inverse_permutation(perm, x.ndim))


@adjoint(P.expand_dims)
def expand_dims(z, x, axis):
    d[x] = reshape(d[z], x.shape)


@adjoint(P.broadcast_to)
def broadcast_to(z, x, shape):
    d[x] = unbroadcast(d[z], x)


@adjoint(P.cast)
def cast(z, x, dtype):
    d[x] = cast(d[z], dtype_of(x))
