"""The matmul kernels' BLAS gemm path (s2sgrad/blas.py): the compiled kernel against
np.dot for every transpose, float32 and float64, C/F/strided/reversed operands,
np.dot's vector forms and zero-size dimensions; the plain-Python kernels (the
`python` backend) are np.dot itself; and gradients through every transpose on both
backends against central finite differences."""
import numba
import numpy as np
import pytest

from s2sgrad import kernels, ops
from gradcheck import check_grads

FLAGS = [(False, False), (True, False), (False, True), (True, True)]


@numba.njit
def _matmul(x, y, ta, tb):
    return kernels.matmul(x, y, ta, tb)


@numba.njit
def _named(x, y):
    # the lowering's spellings; each is one product of x (3 x 3) and y (3 x 3)
    return kernels.matmul_nn(x, y), kernels.matmul_tn(x, y), kernels.matmul_nt(x, y), kernels.matmul_tt(x, y)


def _layouts(a, rng):
    """a as C, F, a transposed view, a strided slice and a reversed view (same values)."""
    out = {"C": np.ascontiguousarray(a), "F": np.asfortranarray(a)}
    if a.ndim == 2:
        out["T-view"] = np.ascontiguousarray(a.T).T
        big = rng.standard_normal((2 * a.shape[0] + 1, 3 * a.shape[1] + 2)).astype(a.dtype)
        big[1::2, 2::3] = a
        out["strided"] = big[1::2, 2::3]
        out["reversed"] = np.ascontiguousarray(a[::-1, ::-1])[::-1, ::-1]
    else:
        big = rng.standard_normal(3 * a.shape[0] + 1).astype(a.dtype)
        big[1::3] = a
        out["strided"] = big[1::3]
        out["reversed"] = np.ascontiguousarray(a[::-1])[::-1]
    return out


def _tol(dtype):
    return dict(rtol=2e-6, atol=2e-6) if dtype == np.float32 else dict(rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_compiled_matmul_matches_np_dot(dtype):
    rng = np.random.default_rng(0)
    # (m, k, n) of op(x) @ op(y); zeros in each place, and m = n = 1 (BLAS gemm's vector edge)
    for m, k, n in [(3, 4, 5), (1, 4, 1), (1, 3, 6), (5, 2, 1), (3, 0, 5), (0, 4, 5), (3, 4, 0), (0, 0, 0)]:
        x0 = rng.standard_normal((m, k)).astype(dtype)
        y0 = rng.standard_normal((k, n)).astype(dtype)
        want = np.dot(x0, y0)
        for ta, tb in FLAGS:
            xs = _layouts(x0.T.copy() if ta else x0, rng)
            ys = _layouts(y0.T.copy() if tb else y0, rng)
            pairs = list(zip(xs.items(), ys.items())) + [(("C", xs["C"]), ("F", ys["F"])),
                                                         (("F", xs["F"]), ("strided", ys["strided"]))]
            for (lx, x), (ly, y) in pairs:
                got = _matmul(x, y, ta, tb)
                assert got.shape == want.shape and got.dtype == want.dtype, (m, k, n, ta, tb, lx, ly)
                assert got.flags.c_contiguous
                np.testing.assert_allclose(got, want, **_tol(dtype), err_msg=str((m, k, n, ta, tb, lx, ly)))
                if k == 0:
                    assert not got.any()
            # the python backend runs the same kernel uncompiled: np.dot exactly
            x, y = xs["C"], ys["C"]
            np.testing.assert_array_equal(kernels.matmul(x, y, ta, tb), np.dot(x.T if ta else x, y.T if tb else y))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_named_kernels_and_vector_forms(dtype):
    rng = np.random.default_rng(1)
    x, y = (rng.standard_normal((3, 3)).astype(dtype) for _ in range(2))
    want = (x @ y, x.T @ y, x @ y.T, x.T @ y.T)
    for got, w, py in zip(_named(x, y), want, (kernels.matmul_nn(x, y), kernels.matmul_tn(x, y),
                                               kernels.matmul_nt(x, y), kernels.matmul_tt(x, y))):
        np.testing.assert_allclose(got, w, **_tol(dtype))
        np.testing.assert_array_equal(py, w)
    v, u = rng.standard_normal(3).astype(dtype), rng.standard_normal(3).astype(dtype)
    for ta, tb in FLAGS:      # a flag on a 1-d operand does nothing, as .T does
        for vv in _layouts(v, rng).values():
            for got, want_v in [(_matmul(vv, x, ta, tb), np.dot(v, x.T if tb else x)),
                                (_matmul(x, vv, ta, tb), np.dot(x.T if ta else x, v))]:
                assert got.shape == (3,) and got.dtype == dtype
                np.testing.assert_allclose(got, want_v, **_tol(dtype))
        dot = _matmul(v, u, ta, tb)
        np.testing.assert_allclose(dot, np.dot(v, u), **_tol(dtype))
    empty = np.zeros(0, dtype)
    assert _matmul(empty, empty, False, False) == 0
    np.testing.assert_array_equal(_matmul(empty, np.zeros((0, 4), dtype), False, False), np.zeros(4))


def test_mismatched_inner_dimensions_raise():
    x = np.ones((3, 4))
    with pytest.raises(ValueError, match="inner dimensions differ"):
        _matmul(x, x, False, False)
    np.testing.assert_array_equal(_matmul(x, x, False, True), np.full((3, 3), 4.0))


MATMULS = [ops.MatMul(transpose_a=ta, transpose_b=tb) for ta, tb in FLAGS]


def _all_transposes(a, b):
    # each product weighted differently, so a wrong transpose shows in the gradient
    nn, tn, nt, tt = MATMULS
    return nn(a, b) + tn(a, b) * 2.0 + nt(a, b) * 3.0 + tt(a, b) * 4.0


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_gradients_through_every_transpose(target):
    rng = np.random.default_rng(2)
    a, b = rng.standard_normal((3, 3)), rng.standard_normal((3, 3))
    if target == "python":    # float64 on the cpu backend: test_primitive_grads' matmul cases
        check_grads(_all_transposes, a, b, target=target)
    grads = check_grads(_all_transposes, a.astype(np.float32), b.astype(np.float32), target=target,
                        rtol=2e-3, atol=2e-3)
    assert all(g.asnumpy().dtype == np.float32 for g in grads)


def _zero_inner(a, b):
    return ops.MatMul()(a, b) + 1.0


def test_zero_inner_dimension_gradients_are_empty():
    a, b = np.zeros((3, 0)), np.zeros((0, 2))
    for target in ("python", "cpu"):
        grads = check_grads(_zero_inner, a, b, target=target)
        assert [g.shape for g in grads] == [(3, 0), (0, 2)]


@numba.njit
def _gemm_into(x, y, out):
    kernels.gemm_into(x, y, out)


@numba.njit
def _bmm_as(a, b, order):
    return kernels.bmm_as(a, b, order)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("mkn", [(3, 4, 5), (1, 4, 5), (3, 1, 5), (3, 4, 1), (0, 3, 2), (3, 0, 2)])
def test_gemm_into_writes_any_view(dtype, mkn):
    """Operands and result of every layout, the result a view into a bigger array: BLAS
    reads and writes them in place where their strides allow, copies otherwise, and
    touches nothing outside the view."""
    m, k, n = mkn
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal((m, k)).astype(dtype), rng.standard_normal((k, n)).astype(dtype)
    want = x.astype(np.float64) @ y.astype(np.float64)
    views = {"C": lambda a: a[:m, :n], "T-view": lambda a: a[:n, :m].T,
             "strided": lambda a: a[1:2 * m + 1:2, 2:3 * n + 2:3], "reversed": lambda a: a[:m, :n][::-1, ::-1]}
    for xl, xv in _layouts(x, rng).items():
        for yl, yv in _layouts(y, rng).items():
            for ol, view in views.items():
                base = np.full((2 * m + 3, 3 * n + 3), 7.0, dtype)
                inside = np.zeros(base.shape, bool)
                view(inside)[...] = True
                before = (xv.copy(), yv.copy())
                _gemm_into(xv, yv, view(base))
                np.testing.assert_allclose(view(base), want, **_tol(dtype), err_msg=f"{xl} @ {yl} into {ol}")
                assert (base[~inside] == 7.0).all(), f"{xl} @ {yl} into {ol} wrote outside the view"
                assert np.array_equal(xv, before[0]) and np.array_equal(yv, before[1])
            out = np.full((m, n), 7.0, dtype, order="F")
            _gemm_into(xv, yv, out)
            np.testing.assert_allclose(out, want, **_tol(dtype), err_msg=f"{xl} @ {yl} into F")
    with pytest.raises(ValueError, match="shapes do not match"):
        _gemm_into(x, y, np.empty((m + 1, n), dtype))


@pytest.mark.parametrize("order", [(0, 1, 2), (0, 2, 1), (1, 0, 2), (1, 2, 0), (2, 0, 1), (2, 1, 0)])
def test_bmm_as_every_order(order):
    rng = np.random.default_rng(4)
    a = rng.standard_normal((4, 3, 5))
    c = rng.standard_normal((6, 4, 5))
    b = np.transpose(c, (1, 2, 0))          # (4, 5, 6): a transposed view, as einsum passes it
    want = np.transpose(np.matmul(a, b), order)
    for got in (_bmm_as(a, b, order), kernels.bmm_as(a, b, order)):
        assert got.flags.c_contiguous and got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-13)
