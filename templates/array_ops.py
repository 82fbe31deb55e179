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


# The gradient goes to the maxima; equal maxima share it evenly (MindSpore's rule).
@adjoint(P.reduce_max)
def reduce_max(z, x, axis, keep_dims):
    d[x] = extremum_share(x, z, axis, keep_dims) * expand_reduced(d[z], axis, keep_dims, x.ndim)


# The gradient goes to the minima; equal minima share it evenly (MindSpore's rule).
@adjoint(P.reduce_min)
def reduce_min(z, x, axis, keep_dims):
    d[x] = extremum_share(x, z, axis, keep_dims) * expand_reduced(d[z], axis, keep_dims, x.ndim)


@adjoint(P.logsumexp)
def logsumexp(z, x, axis, keep_dims):
    d[x] = exp(x - expand_reduced(z, axis, keep_dims, x.ndim)) * expand_reduced(d[z], axis, keep_dims, x.ndim)


# A cumulative sum's adjoint runs the other way; axis=None flattened x.
@adjoint(P.cumsum)
def cumsum(z, x, axis, exclusive, reverse):
    d[x] = reshape(cumsum(d[z], axis, exclusive, not reverse), x.shape)


@adjoint(P.squeeze)
def squeeze(z, x, axis):
    d[x] = reshape(d[z], x.shape)


@adjoint(P.tile)
def tile(z, x, multiples):
    d[x] = untile(d[z], x, multiples)


@adjoint(P.untile)
def untile(z, g, x, multiples):
    d[g] = tile(d[z], multiples)
    d[x] = zeros_like(x)


@adjoint(P.gather)
def gather(z, params, indices, axis):
    d[params] = scatter_add_axis(d[z], indices, params, axis)
    d[indices] = zeros_like(indices)


@adjoint(P.scatter_add_axis)
def scatter_add_axis(z, g, indices, x, axis):
    d[g] = gather(d[z], indices, axis)
    d[indices] = zeros_like(indices)
    d[x] = zeros_like(x)


@adjoint(P.concat2)
def concat2(z, x, y, axis):
    d[x] = slice_axis(d[z], 0, x.shape[axis], axis)
    d[y] = slice_axis(d[z], x.shape[axis], None, axis)


@adjoint(P.split_part)
def split_part(z, x, part, parts, axis):
    d[x][split_index(x.shape, part, parts, axis)] += d[z]


@adjoint(P.slice_axis)
def slice_axis(z, x, start, stop, axis):
    d[x] = unslice_axis(d[z], x, start, stop, axis)


@adjoint(P.unslice_axis)
def unslice_axis(z, g, x, start, stop, axis):
    d[g] = slice_axis(d[z], start, stop, axis)
    d[x] = zeros_like(x)
