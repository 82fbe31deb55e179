"""The second set of primitives (maximum ... concat2): each adjoint against float64
central finite differences through nn.ForwardValueAndGrad and the Numba backend,
on shapes that broadcast, in the forms users write; plus exact checks where the
rule is a convention (ties, integer outputs, zero gradients)."""
import numpy as np
import pytest

import s2sgrad as ms
from s2sgrad import ops, Tensor, nn
from s2sgrad.surface import spec
from s2sgrad.tensor import apply_op
from gradcheck import check_grads

rng = np.random.default_rng(7)


def rand(*shape, scale=1.0):
    return rng.standard_normal(shape) * scale


def distinct(*shape, offset=0.05):
    """Values 0.1 apart, none within 0.05 of 0 or of an integer's edge: no ties, no kinks."""
    n = int(np.prod(shape))
    return ((rng.permutation(n) - n // 2) * 0.1 + offset).reshape(shape)


def primitive_fn(name, *params):
    """A functional form for a primitive that has no user-facing spelling yet."""
    op = spec(name, *params)

    def fn(*args, **kwargs):
        return apply_op(op, args, kwargs, name)
    fn._s2s_spec = op
    return fn


concat2 = primitive_fn("concat2", "axis")
slice_axis = primitive_fn("slice_axis", "start", "stop", "axis")
unslice_axis = primitive_fn("unslice_axis", "start", "stop", "axis")
untile = primitive_fn("untile", "multiples")
scatter_add_axis = primitive_fn("scatter_add_axis", "axis")

maximum, minimum, abs_, sin, cos, tan, erf = (ops.Maximum(), ops.Minimum(), ops.Abs(), ops.Sin(), ops.Cos(),
                                              ops.Tan(), ops.Erf())
sign, floor, round_, select, tile = ops.Sign(), ops.Floor(), ops.Round(), ops.Select(), ops.Tile()
squeeze1, squeeze_all = ops.Squeeze(1), ops.Squeeze()
reduce_max, reduce_max_keep, reduce_min = ops.ReduceMax(), ops.ReduceMax(keep_dims=True), ops.ReduceMin()
argmax0, argmax1 = ops.Argmax(axis=0), ops.Argmax(axis=1)
cumsum, cumsum_excl_rev = ops.CumSum(), ops.CumSum(exclusive=True, reverse=True)
gather = ops.Gather()


# Each program exercises one primitive in the forms users write (several results
# where the forms differ in shape): Numba compiles one program per case.

def f_maximum(x, y): return maximum(x, y) + np.maximum(x, 0.1) * x.maximum(y)
def f_minimum(x, y): return ops.minimum(x, y) + np.minimum(2.0 * y, x)
def f_abs(x): return abs_(x) + np.abs(x) * x.abs()
def f_sin_cos(x): return sin(x) * ops.cos(x) + np.sin(x) + x.cos() * x.sin() + np.cos(x)
def f_tan(x): return np.tan(x) + ops.tan(x) * x.tan()
def f_erf(x): return erf(x) + ops.erf(x) * x.erf()
def f_sign_floor_round(x): return sign(x) * x + np.floor(x) * x + round_(x) * np.round(x) + x.sign() * x.floor()
def f_clip(x): return ops.clip_by_value(x, -0.5, 0.7) + np.clip(x, None, 0.3) * x.clip(-0.2, 0.4)
def f_select(cond, x, y): return select(cond, x, y) + np.where(x > y, x * x, 3.0 * y) + ops.where(cond, 1.0, y)
def f_tile(x): return tile(x, (2, 1, 3)), np.tile(x, 2) * 1.5, x.tile((1, 2))
def f_squeeze(x): return squeeze1(x), np.squeeze(x) + squeeze_all(x) + x.squeeze(), ops.squeeze(x, (1, 3))
def f_reduce_max(x): return reduce_max(x, 1), reduce_max_keep(x, (0, 2)), np.max(x) * 2.0, x.max(axis=0)
def f_reduce_min(x): return reduce_min(x, (1, 2)), np.min(x, axis=-1), x.min(1, keepdims=True), ops.amin(x)
def f_cumsum(x): return cumsum(x, 1), cumsum_excl_rev(x, 0), np.cumsum(x) * 1.5, x.cumsum(axis=-1)
def f_logsumexp(x): return ops.logsumexp(x, 1), ops.logsumexp(x, (0, 2), True), x.logsumexp(-1, keepdims=True)
def f_gather(params, i1, i2, i3):
    return gather(params, i1, 1), ops.gather(params, i2, 0), np.take(params, i3), np.take(params, i2, axis=-1)
def f_concat2(x, y): return concat2(x, y, -1), concat2(x, x * 2.0, 1), concat2(y * 3.0, y, 0)
def f_slice_axis(x): return slice_axis(x, 1, 3, 1), slice_axis(x, -2, None, 0)
def f_unslice_axis(g, x): return unslice_axis(g, x, 1, 3, 1)
def f_untile(g, x): return untile(g, x, (2, 1, 3))
def f_scatter_add(g, indices, x): return scatter_add_axis(g, indices, x, 1)


def f_einsum_matrices(x, y, z, w):
    return (np.einsum("ij,jk->ik", x, y), ops.einsum("ij,kj->ik", x, z), np.einsum("ij,jk", x, y),
            ops.einsum("bi,ij->bj", w, x))


def f_einsum_vectors(x, y, u, v):
    return ops.einsum("ij,ij->", x, y), np.einsum("ij,ij->i", x, y), ops.einsum("i,j->ij", u, v)


def f_einsum_batched(x, y):
    return np.einsum("bij,bjk->bik", x, y)


def f_einsum_permuted(x, y, z):
    """Outputs in another order than (batch, rows, columns): kernels.bmm_as, and BLAS
    reading transposed operands in place (GMM's einsum is the first)."""
    return np.einsum("ijk,mik->mij", x, y), ops.einsum("bij,jbk->kbi", y, z)


def f_scalars(x, y):
    """Every elementwise primitive on 0-d inputs, in one program."""
    out = sin(x) + cos(x) + tan(x) + erf(x) + abs_(x) + maximum(x, y) + minimum(x, y)
    out = out + ops.clip_by_value(x, -1.0, 1.0) + select(x > y, x * y, y) + np.where(x < y, 2.0 * x, y)
    return out + sign(x) * x + floor(x) * y + round_(y) * x


indices = np.array([3, 0, 3, -1], np.int32)             # repeated and negative: the adjoint adds up
CASES = [
    ("maximum broadcast", f_maximum, (distinct(3, 1), distinct(1, 4, offset=0.02))),
    ("minimum broadcast", f_minimum, (distinct(2, 3), distinct(3, offset=0.02))),
    ("abs", f_abs, (distinct(3, 4),)),
    ("sin cos", f_sin_cos, (rand(2, 3),)),
    ("tan", f_tan, (rand(2, 3, scale=0.4),)),
    ("erf", f_erf, (rand(3, 2),)),
    ("sign floor round", f_sign_floor_round, (distinct(2, 3) * 7,)),
    ("clip", f_clip, (distinct(3, 4),)),
    ("select broadcast", f_select, (rng.random((3, 4)) > 0.5, distinct(3, 4), distinct(4, offset=0.02))),
    ("elementwise on 0-d inputs", f_scalars, (np.array(0.37), np.array(-0.81))),
    ("tile", f_tile, (rand(2, 3),)),
    ("squeeze", f_squeeze, (rand(3, 1, 2, 1),)),
    ("reduce_max", f_reduce_max, (distinct(3, 4, 2),)),
    ("reduce_min", f_reduce_min, (distinct(2, 3, 4),)),
    ("cumsum", f_cumsum, (rand(4, 3),)),
    ("logsumexp", f_logsumexp, (rand(2, 3, 4),)),
    ("gather", f_gather, (rand(4, 4, 3), indices, np.array([[1, 2], [2, 0]], np.int64), np.array([11, 0, 5, 5]))),
    ("concat2", f_concat2, (rand(2, 3, 1), rand(2, 3, 2))),
    ("slice_axis", f_slice_axis, (rand(3, 4, 2),)),
    ("unslice_axis", f_unslice_axis, (rand(2, 2, 3), rand(2, 4, 3))),
    ("untile", f_untile, (rand(2, 2, 9), rand(2, 3))),
    ("scatter_add_axis", f_scatter_add, (rand(2, 3), np.array([1, 1, -4]), rand(2, 4))),
    ("einsum matrices", f_einsum_matrices, (rand(3, 4), rand(4, 2), rand(2, 4), rand(5, 3))),
    ("einsum vectors", f_einsum_vectors, (rand(3, 4), rand(3, 4), rand(3), rand(4))),
    ("einsum batched", f_einsum_batched, (rand(2, 3, 4), rand(2, 4, 5))),
    ("einsum permuted", f_einsum_permuted, (rand(3, 2, 4), rand(5, 3, 4), rand(4, 5, 2))),
]


@pytest.mark.parametrize("name,fn,args", CASES, ids=[c[0] for c in CASES])
def test_primitive_gradient_matches_finite_differences(name, fn, args):
    check_grads(fn, *args)


# -- exact rules ------------------------------------------------------------------

def f_max_tie(x, y):
    return maximum(x, y)


def f_min_tie(x, y):
    return minimum(x, y)


def test_maximum_and_minimum_ties_split_the_gradient_half_and_half():
    x = np.array([1.0, 2.0, 3.0, -1.0])
    y = np.array([1.0, 0.0, 3.0, 5.0])
    grad = nn.ForwardValueAndGrad(f_max_tie, get_all=True)
    out, (dx, dy) = grad(Tensor(x), Tensor(y))
    np.testing.assert_array_equal(out.asnumpy(), [1, 2, 3, 5])
    np.testing.assert_array_equal(dx.asnumpy(), [0.5, 1.0, 0.5, 0.0])
    np.testing.assert_array_equal(dy.asnumpy(), [0.5, 0.0, 0.5, 1.0])
    _, (dx, dy) = nn.ForwardValueAndGrad(f_min_tie, get_all=True)(Tensor(x), Tensor(y))
    np.testing.assert_array_equal(dx.asnumpy(), [0.5, 0.0, 0.5, 1.0])
    np.testing.assert_array_equal(dy.asnumpy(), [0.5, 1.0, 0.5, 0.0])
    # a broadcast operand collects the halves of every tie it takes part in
    _, (dx, dy) = grad(Tensor(np.array([[2.0, 1.0], [2.0, 3.0]])), Tensor(np.array([2.0])))
    np.testing.assert_array_equal(dx.asnumpy(), [[0.5, 0.0], [0.5, 1.0]])
    np.testing.assert_array_equal(dy.asnumpy(), [2.0])


def f_reduce_max_ties(x):
    return reduce_max(x, 1)


def f_min_1d_ties(v):
    return np.min(v)


def test_reduce_max_shares_the_gradient_among_equal_maxima():
    x = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0], [0.0, 5.0, 1.0]])
    _, dx = nn.ForwardValueAndGrad(f_reduce_max_ties)(Tensor(x))
    np.testing.assert_allclose(dx.asnumpy(), [[0, 0.5, 0.5], [1 / 3] * 3, [0, 1, 0]], rtol=1e-15)
    out, dv = nn.ForwardValueAndGrad(f_min_1d_ties)(Tensor(np.array([4.0, -1.0, 2.0, -1.0])))
    assert float(out.asnumpy()) == -1.0
    np.testing.assert_array_equal(dv.asnumpy(), [0.0, 0.5, 0.0, 0.5])


def f_max_and_argmax(x):
    return x.max(axis=1), argmax1(x), ops.argmax(x), np.argmin(x, axis=0)


def f_max_plus_zero_argmax(x):
    return reduce_max(x) + 0 * argmax0(x)


def test_argmax_has_integer_output_and_no_gradient():
    x = distinct(3, 4)
    assert argmax1(Tensor(x)).dtype == ms.int32 and ops.argmax(Tensor(x)).dtype == ms.int64
    np.testing.assert_array_equal(argmax0(Tensor(x)).asnumpy(), np.argmax(x, axis=0))
    np.testing.assert_array_equal(Tensor(x).argmin(1).asnumpy(), np.argmin(x, axis=1))
    (vmax, i1, iflat, imin0), dx = nn.ForwardValueAndGrad(f_max_and_argmax)(Tensor(x))
    assert i1.dtype == ms.int32 and iflat.dtype == ms.int64 and imin0.dtype == ms.int64
    np.testing.assert_array_equal(i1.asnumpy(), np.argmax(x, axis=1))
    assert iflat.shape == () and int(iflat.asnumpy()) == np.argmax(x)
    np.testing.assert_array_equal(imin0.asnumpy(), np.argmin(x, axis=0))
    np.testing.assert_array_equal(vmax.asnumpy(), x.max(axis=1))
    # only the max carries a gradient (ones sens): one 1 per row, at the maximum
    np.testing.assert_array_equal(dx.asnumpy(), np.eye(4)[np.argmax(x, axis=1)])
    out, dx = nn.ForwardValueAndGrad(f_max_plus_zero_argmax)(Tensor(x))
    np.testing.assert_array_equal(out.asnumpy(), np.full(4, x.max()))
    want = np.zeros_like(x)
    want[np.unravel_index(np.argmax(x), x.shape)] = 4.0
    np.testing.assert_array_equal(dx.asnumpy(), want)


def f_zero_grads(x):
    return sign(x) + floor(x) + round_(x) + np.sign(x) * 2.0


def f_times_floor(x):
    return x * floor(x)


def test_sign_floor_round_have_zero_gradients():
    x = distinct(3, 4) * 7
    out, dx = nn.ForwardValueAndGrad(f_zero_grads)(Tensor(x))
    np.testing.assert_array_equal(out.asnumpy(), 3 * np.sign(x) + np.floor(x) + np.round(x))
    assert dx.shape == x.shape and not dx.asnumpy().any()
    _, dx = nn.ForwardValueAndGrad(f_times_floor)(Tensor(x))
    np.testing.assert_array_equal(dx.asnumpy(), np.floor(x))


def f_lse(x):
    return ops.logsumexp(x, -1)


def test_logsumexp_is_stable_for_large_and_infinite_inputs():
    x = np.array([[1000.0, 1000.0, -1000.0], [-np.inf, 0.0, np.log(3.0)]])
    out, dx = nn.ForwardValueAndGrad(f_lse)(Tensor(x))
    np.testing.assert_allclose(out.asnumpy(), [1000 + np.log(2), np.log(4)], rtol=1e-15)
    np.testing.assert_allclose(dx.asnumpy(), [[0.5, 0.5, 0.0], [0.0, 0.25, 0.75]], rtol=1e-12, atol=1e-300)


def f_float32(x, y):
    out = maximum(x, y) + sin(x) * erf(y) + ops.clip_by_value(x, -0.5, 0.5) + round_(x) + abs_(y)
    return np.where(x > y, out, tan(y)) + reduce_max(x, 0) + ops.logsumexp(x, 0) + cumsum(x, 0)


def test_float32_programs_stay_float32():
    x, y = distinct(3, 2).astype(np.float32), distinct(3, 2, offset=0.02).astype(np.float32)
    out, (dx, dy) = nn.ForwardValueAndGrad(f_float32, get_all=True)(Tensor(x), Tensor(y))
    assert out.dtype == ms.float32 and dx.dtype == ms.float32 and dy.dtype == ms.float32
    want = f_float32(Tensor(x), Tensor(y))
    np.testing.assert_allclose(out.asnumpy(), want.asnumpy(), rtol=1e-6)


def test_eager_forms_match_numpy():
    x = distinct(2, 3, 4)
    t = Tensor(x)
    np.testing.assert_array_equal(reduce_max_keep(t, (0, 2)).asnumpy(), x.max(axis=(0, 2), keepdims=True))
    np.testing.assert_array_equal(tile(t, (2, 1, 1, 2)).asnumpy(), np.tile(x, (2, 1, 1, 2)))
    np.testing.assert_allclose(cumsum_excl_rev(t, 1).asnumpy(),
                               np.flip(np.cumsum(np.flip(x, 1), 1), 1) - x, atol=1e-15)
    np.testing.assert_array_equal(gather(t, Tensor(np.array([2, 0])), 2).asnumpy(), x[:, :, [2, 0]])
    np.testing.assert_allclose(ops.einsum("bij,bjk->bik", t, Tensor(x.transpose(0, 2, 1))).asnumpy(),
                               x @ x.transpose(0, 2, 1))
    np.testing.assert_array_equal(ops.squeeze(Tensor(x[:, :1]), 1).asnumpy(), x[:, 0])
    np.testing.assert_array_equal(ops.clip_by_value(t, None, 0.0).asnumpy(), np.minimum(x, 0.0))
    np.testing.assert_allclose(ops.erf(Tensor(np.array([0.0, 0.5]))).asnumpy(), [0.0, 0.5204998778130465])
