"""kernels.tanh under Numba: float32 goes through the float64 exp (kernels._tanh32),
which must round as well as tanh itself; other dtypes keep np.tanh."""
import numba
import numpy as np

from s2sgrad import kernels


@numba.njit
def _tanh(x):
    return kernels.tanh(x)


def _ulps(got, x):
    """|got - tanh(x)| in float32 ulps of the exact value (float64 tanh stands in for it)."""
    ref = np.tanh(x.astype(np.float64))
    return np.abs(got.astype(np.float64) - ref) / np.spacing(np.abs(ref).astype(np.float32)).astype(np.float64)


def test_float32_rounds_to_nearest():
    # every 61st float32 from 2^-30 to 16, where tanh leaves x and reaches 1, and their negatives
    lo, hi = (int(np.float32(v).view(np.uint32)) for v in (2.0 ** -30, 16.0))
    x = np.arange(lo, hi, 61, dtype=np.uint32).view(np.float32)
    x = np.concatenate([x, -x])
    got = _tanh(x)
    assert got.dtype == np.float32
    assert _ulps(got, x).max() <= 0.5 + 1e-6     # measured over all of them, stride 1: 0.500


def test_float32_special_values_and_scalars():
    x = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-45, -2e-38, 9.9e-5, -1.01e-4, 50.0], np.float32)
    got = _tanh(x)
    np.testing.assert_array_equal(got, np.tanh(x))
    assert np.signbit(got[1]) and not np.signbit(got[0])
    for v in (np.float32(0.3), np.float32(-7.5), np.float32(2e-5)):
        assert _tanh.py_func(v) == np.tanh(v)
        assert abs(float(_tanh(v)) - float(np.tanh(v))) <= np.spacing(np.float32(abs(np.tanh(v))))
    assert numba.typeof(np.float32(1)) in [sig.return_type for sig in _tanh.nopython_signatures]


def test_float32_layouts():
    base = np.linspace(-3, 3, 24, dtype=np.float32).reshape(2, 3, 4)
    for x in (base, base[:, :, ::2], base.transpose(2, 0, 1), base[0, 0, :1].reshape(()), base[:, :0]):
        got = _tanh(x)
        assert got.shape == x.shape and got.dtype == np.float32
        assert _ulps(got.ravel(), x.ravel()).max(initial=0) <= 0.5 + 1e-6
    assert np.array_equal(base, np.linspace(-3, 3, 24, dtype=np.float32).reshape(2, 3, 4))   # input untouched


def test_other_dtypes_keep_np_tanh():
    x = np.linspace(-4, 4, 101)
    np.testing.assert_allclose(_tanh(x), np.tanh(x), rtol=1e-15, atol=0)
    assert _tanh(np.arange(3)).dtype == np.float64
    np.testing.assert_allclose(_tanh(0.25), np.tanh(0.25), rtol=1e-15)
