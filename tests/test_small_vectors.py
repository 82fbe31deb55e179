"""small_vectors.scalarize: a float64 vector of a few elements made and used in a loop body
becomes one number per component, and only where each use takes components. Gradients are
checked against autograd and central differences in the corpus (el_pair_vectors,
el_vector_rows); here, what the generated code computes with."""
import numpy as np

import s2sgrad
from s2sgrad import Tensor, nn, ops


def pair_energy(pos):
    e = 0.0
    for i in range(pos.shape[0]):
        for j in range(i + 1, pos.shape[0]):
            d = pos[i] - pos[j]
            e += 1.0 / (1.0 + np.sum(d * d))
    return e


def pair_energy_ops(pos):
    """pair_energy as a MindSpore user writes it: rows as `pos[i, :]`, ops.reduce_sum (axis ())."""
    e = 0.0
    for i in range(pos.shape[0]):
        for j in range(i + 1, pos.shape[0]):
            d = pos[i, :] - pos[j, :]
            e += 1.0 / (1.0 + ops.sqrt(ops.reduce_sum(d * d)))
    return e


def rows_kept(x):
    y = np.zeros_like(x)
    for i in range(x.shape[0]):
        d = x[i] * 2.0
        y[i] = d
    return np.sum(y * y)


def _source(fn, x):
    grad = nn.ForwardValueAndGrad(s2sgrad.jit(target="python")(fn))
    _, d = grad(Tensor(x))
    return s2sgrad.source(grad), d.asnumpy()


def _numeric(fn, x, eps=1e-6):
    out = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[idx] = eps
        out[idx] = (fn(x + step) - fn(x - step)) / (2 * eps)
    return out


def test_a_pair_vector_is_three_numbers_in_both_passes():
    pos = np.random.default_rng(0).standard_normal((5, 3))
    text, d = _source(pair_energy, pos)
    assert "d0 = " in text and "d2 = " in text and "pos[i, 2]" in text
    assert "sum_all(" not in text and "reduce_sum(" not in text and "fill(" not in text
    np.testing.assert_allclose(d, _numeric(pair_energy, pos), rtol=1e-6, atol=1e-9)


def test_float32_vectors_and_vectors_used_whole_stay_vectors():
    x = np.random.default_rng(1).standard_normal((4, 3))
    text, d = _source(rows_kept, x)
    assert "d0" not in text and "y[i] = d\n" in text
    np.testing.assert_allclose(d, _numeric(rows_kept, x), rtol=1e-6, atol=1e-9)
    text32, _ = _source(pair_energy, x.astype(np.float32))
    assert "d0" not in text32


def test_rows_read_with_a_slice_and_summed_by_ops_are_numbers_too():
    pos = np.random.default_rng(2).standard_normal((5, 3))
    text, d = _source(pair_energy_ops, pos)
    assert "d0 = " in text and "d2 = " in text and "= pos[i, 2]\n" in text and "= pos[i, :]\n" not in text
    assert "= reduce_sum(" not in text and "= sum_all(" not in text
    np.testing.assert_allclose(d, _numeric(pair_energy_ops, pos), rtol=1e-6, atol=1e-9)
