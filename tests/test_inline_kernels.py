"""Kernels whose Numba code is lowered at the call site (s2sgrad/inline_kernels.py):
the compiled forms against the plain-Python kernels (what the `python` backend runs)
and NumPy, over dtypes, layouts, 0-d and zero-size operands."""
import numba
import numpy as np
import pytest

from s2sgrad import kernels


@numba.njit
def _likes(x):
    return kernels.zeros_like(x), kernels.ones_like(x), kernels._empty_like(x)


@numba.njit
def _expand(x, axis):
    return kernels.expand_dims(x, axis)


@numba.njit
def _alloc(n, like):
    return kernels._empty((n, 2), like), kernels._zeros((n, 2), like), kernels._zeros(n, like)


def _operands():
    base = np.arange(12, dtype=np.float32).reshape(3, 4)
    return {"C f32": base, "F f64": np.asfortranarray(base.astype(np.float64)), "strided": base[:, ::2],
            "int": base.astype(np.int64), "bool": base > 4, "1-d": base[0], "empty": np.zeros((0, 3)),
            "3-d": np.ones((2, 1, 3), np.float32)}


@pytest.mark.parametrize("name,x", list(_operands().items()))
def test_zeros_ones_empty_like(name, x):
    zeros, ones, empty = _likes(x)
    for got, want in ((zeros, kernels.zeros_like(x)), (ones, kernels.ones_like(x))):
        assert got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_array_equal(got, want)
        assert not np.shares_memory(got, x)
    assert empty.dtype == x.dtype and empty.shape == x.shape
    if x.flags.f_contiguous and not x.flags.c_contiguous:      # Numba keeps an F layout, as NumPy does
        assert zeros.flags.f_contiguous and ones.flags.f_contiguous


def test_likes_of_scalars_are_0d_arrays():
    for s in (1.5, np.float32(2), True, 3):
        zeros, ones, _ = _likes(s)
        assert zeros.shape == () == ones.shape
        assert zeros.dtype == ones.dtype == np.asarray(numba.typeof(s).cast_python_value(s)).dtype
        assert zeros[()] == 0 and ones[()] == 1


def test_expand_dims_is_a_view_like_numpy():
    x = np.arange(6.0).reshape(2, 3)
    for axis in (0, 1, 2, -1, -3):
        got = _expand(x, axis)
        want = kernels.expand_dims(x, axis)
        assert got.shape == want.shape
        np.testing.assert_array_equal(got, want)
        assert np.shares_memory(got, x)
    v = np.arange(4.0)[::2]
    np.testing.assert_array_equal(_expand(v, 1), np.expand_dims(v, 1))
    with pytest.raises(IndexError):
        _expand(x, 3)


def test_empty_and_zeros_allocate_like_dtype():
    for like in (np.ones(1, np.float32), np.ones((2, 2), np.int32)):
        empty, zeros, zeros1 = _alloc(3, like)
        assert empty.shape == zeros.shape == (3, 2) and zeros1.shape == (3,)
        assert empty.dtype == zeros.dtype == zeros1.dtype == like.dtype
        assert not zeros.any() and not zeros1.any()
        np.testing.assert_array_equal(kernels._zeros((3, 2), like), zeros)
    with pytest.raises(ValueError):
        _alloc(-1, np.ones(1))
