"""chained_indexing.merge: `a[i][k]` becomes one read `a[i, k]` where i is an integer
scalar, and only then; the gradient of a pair loop written with chained reads is checked
against central differences in the corpus (el_chained_reads)."""
import gast
import numpy as np

import s2sgrad
from s2sgrad import Tensor, nn
from s2sgrad.chained_indexing import merge
from s2sgrad.primitives import AVal

F64 = np.dtype(np.float64)
I64 = np.dtype(np.int64)


def _fn(body):
    return gast.parse("def f(a, i, k):\n" + "".join(f"    {line}\n" for line in body)).body[0]


def _text(fn):
    import astor
    return astor.to_source(gast.gast_to_ast(fn))


def test_an_integer_row_then_an_element_is_one_read_and_the_row_goes():
    fn = _fn(["row = getitem(a, (i,))", "x = getitem(row, (k, slice(None)))", "return x"])
    fn.body[1].value.args[1].elts[1] = gast.Slice(lower=None, upper=None, step=None)
    merge(fn, {"a": AVal(F64, (3, 4, 5)), "i": AVal(I64, ()), "k": int, "row": AVal(F64, (4, 5)),
               "x": AVal(F64, (5,))})
    text = _text(fn)
    assert "x = getitem(a, (i, k, :))" in text        # (astor writes the Slice node as `:`)
    assert "row" not in text


def test_an_index_array_is_not_merged():
    fn = _fn(["row = getitem(a, (i,))", "x = getitem(row, (0,))", "return x"])
    merge(fn, {"a": AVal(F64, (3, 4)), "i": AVal(I64, (2,)), "row": AVal(F64, (2, 4)), "x": AVal(F64, (4,))})
    assert "getitem(row, (0,))" in _text(fn)


def test_a_write_between_the_reads_keeps_them_apart():
    fn = _fn(["row = getitem(a, (i,))", "i = add(i, 1)", "x = getitem(row, (0,))", "return x"])
    merge(fn, {"a": AVal(F64, (3, 4)), "i": int, "row": AVal(F64, (4,)), "x": F64.type})
    assert "getitem(row, (0,))" in _text(fn)


def test_a_row_read_elsewhere_stays():
    fn = _fn(["row = getitem(a, (i,))", "x = getitem(row, (0,))", "return x, row"])
    merge(fn, {"a": AVal(F64, (3, 4)), "i": int, "row": AVal(F64, (4,)), "x": F64.type})
    text = _text(fn)
    assert "x = getitem(a, (i, 0))" in text and "row = getitem(a, (i,))" in text


def pair_energy(pos):
    e = 0.0
    for i in range(pos.shape[0]):
        for j in range(i + 1, pos.shape[0]):
            e += 1.0 / (1.0 + (pos[i][0] - pos[j][0]) ** 2 + (pos[i][1] - pos[j][1]) ** 2)
    return e


def test_the_generated_pair_loop_reads_elements_and_tapes_no_rows():
    pos = np.random.default_rng(0).standard_normal((5, 2))
    grad = nn.ForwardValueAndGrad(s2sgrad.jit(target="python")(pair_energy))
    _, d = grad(Tensor(pos))
    text = s2sgrad.source(grad)
    assert "pos[i, 0]" in text and "pos[j, 1]" in text and "List" not in text
    eps = 1e-6
    numeric = np.zeros_like(pos)
    for idx in np.ndindex(pos.shape):
        step = np.zeros_like(pos)
        step[idx] = eps
        numeric[idx] = (pair_energy(pos + step) - pair_energy(pos - step)) / (2 * eps)
    np.testing.assert_allclose(d.asnumpy(), numeric, rtol=1e-6, atol=1e-9)
