"""split_reductions: an inner loop carrying float sums runs as a loop storing the terms and
a loop adding them, over flat views. The results must be bit-identical to the loop as it
was (the same terms added in the same order), and the gradients match central
differences; the corpus (lp_sum_squares, lp_triangular, el_lennard_jones, ...) runs its
split loops against central differences and autograd too."""
import os
import sys

import numpy as np
import pytest

import s2sgrad
from s2sgrad import Tensor, nn
from s2sgrad import codegen
from gradcheck import check_grads

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tools"))
from bench.w4 import lj_energy as pair_energy       # noqa: E402  W4's pair loop, as the benchmark runs it


def long_sums(x, w):
    s = 0.0
    q = 0.0
    for i in range(x.shape[0]):
        s += x[i] * w[i]
        q += x[i] / (1.0 + w[i] * w[i])
    return s * q


def product_loop(x):
    p = 1.0
    for i in range(x.shape[0]):
        p = p * x[i]
    return p


def columns_read_back(x):
    out = np.zeros((x.shape[0], 2))
    for i in range(x.shape[0]):
        out[i, 0] = x[i] * 2.0
        out[i, 1] = x[i] * x[i]
    s = out[0, 0] + out[1, 1]
    if out[0, 1] > 0.5:
        s = s * out[2, 0]
    return out, s


def positions(n=9, seed=0):
    grid = np.stack(np.meshgrid(*[np.arange(3)] * 3, indexing="ij"), -1).reshape(-1, 3)[:n]
    return grid * 1.1 + 0.1 * np.random.default_rng(seed).standard_normal((n, 3))


def _run(fn, *args):
    grad = nn.ForwardValueAndGrad(fn, get_all=True)
    value, grads = grad(*[Tensor(a) if isinstance(a, np.ndarray) else a for a in args])
    return grad, value.asnumpy(), [g.asnumpy() for g in grads]


def test_pair_loop_is_split_and_matches_central_differences():
    pos = positions()
    check_grads(pair_energy, pos, 1.0, 1.0, rtol=1e-6, atol=1e-8)
    grad, _, _ = _run(pair_energy, pos, 1.0, 1.0)
    text = s2sgrad.compiled_source(grad)
    assert "terms_e_1[t] = " in text and "e_1 = e_1 + terms_e_1[t]" in text
    assert "pos_column1 = ascontiguousarray(pos[:, 1])" in text and "= pos_column1_chunk[t]\n" in text
    # the force the loop writes is made by columns, and returned C-ordered
    assert "part_d_pos_columns = zeros((3, pos.shape[0]), float64)" in text
    assert "part_d_pos_column2_chunk = part_d_pos_columns[2, base:]" in text
    assert "part_d_pos_column2_chunk[t] += " in text and "part_d_pos_columns[2, i] += acc_part_d_pos" in text
    assert "part_d_pos = ascontiguousarray(part_d_pos_columns.T)" in text and "divide(" in text
    # row i's coordinates, which the loop does not change, are read once per chunk, before its loop
    assert text.index("vd_getitem = pos[i, 0]") < text.index("for t in range(count):")
    assert "terms_" not in s2sgrad.source(grad)         # the text users read is the loop as written


def test_split_loops_give_the_bits_the_loops_gave(monkeypatch):
    pos, x, w = positions(), np.linspace(-1.0, 2.0, 1300), np.cos(np.arange(1300.0))   # 3 chunks
    cases = ((pair_energy, (pos, 1.0, 1.0)), (long_sums, (x, w)))
    monkeypatch.setattr(codegen, "split_reductions", lambda stmts, avals, names: (stmts, False))
    unsplit = [_run(fn, *args) for fn, args in cases]
    monkeypatch.undo()
    split = [_run(fn, *args) for fn, args in cases]
    for (g0, v0, d0), (g1, v1, d1) in zip(unsplit, split):
        assert "terms_" not in s2sgrad.compiled_source(g0) and "terms_" in s2sgrad.compiled_source(g1)
        assert v0 == v1 and all(np.array_equal(a, b) for a, b in zip(d0, d1))


def test_long_loop_in_chunks_matches_central_differences():
    x, w = np.linspace(-1.0, 2.0, 1100), np.cos(np.arange(1100.0))
    check_grads(long_sums, x, w, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("layout", ["fortran", "strided"])
def test_inputs_in_any_layout(layout):
    """Read-only arrays are read through ascontiguousarray(...).ravel(): a copy where the
    input is not C-contiguous, so every layout gives the C-ordered input's bits."""
    pos = positions()
    other = np.asfortranarray(pos) if layout == "fortran" else np.repeat(pos, 2, axis=1)[:, ::2]
    assert not other.flags.c_contiguous and np.array_equal(other, pos)
    _, v0, g0 = _run(pair_energy, pos, 1.0, 1.0)
    _, v1, g1 = _run(pair_energy, other, 1.0, 1.0)
    assert v0 == v1 and np.array_equal(g0[0], g1[0])


def test_a_carried_product_is_left_as_it_is():
    x = np.linspace(0.5, 1.5, 7)
    check_grads(product_loop, x, rtol=1e-6, atol=1e-9)
    grad, _, _ = _run(product_loop, x)
    assert "terms_" not in s2sgrad.compiled_source(grad)


def test_an_array_made_by_columns_is_read_by_element_and_returned_c_ordered():
    x = np.array([0.9, -0.4, 1.3, 0.2])
    check_grads(columns_read_back, x, rtol=1e-6, atol=1e-9)
    grad = nn.ForwardValueAndGrad(columns_read_back)
    (out, _), _ = grad(Tensor(x))
    text = s2sgrad.compiled_source(grad)
    assert "out_columns = zeros((2, x.shape[0]), float64)" in text and "out_column1_chunk[t] = " in text
    assert "cond_getitem = out_columns[1, 0]" in text and "out = ascontiguousarray(out_columns.T)" in text
    assert out.asnumpy().flags.c_contiguous
