"""unit_arrays: float arrays of shape (1,) computed elementwise become numbers, so W3 written
with Tensor([0.7]) runs the scalar program. Gradients are checked against central differences
and autograd in the corpus (sc_unit_ode, sc_unit_mixed, ce_unit_params); here, what the
generated code computes with, and that it computes the scalar program's numbers."""
import numpy as np

import s2sgrad
from s2sgrad import Tensor, nn
from gradcheck import check_grads, source_of


def ode(x0, a, b):
    x = x0
    for _ in range(40):
        x = x + 0.05 * (a * x - b * x * x * x)
    return x * x


def written_into(x):
    y = np.zeros_like(x)
    y[0] = x[0] * 2.0
    y[0] = 3.0 * y[0]
    return np.sum(y * y)


def test_the_loop_runs_on_numbers():
    text = source_of(ode, np.array([0.7]), np.array([0.9]), np.array([0.4]))
    forward = text[text.index("def forward"):text.index("def backward")]
    assert "x0_0 = x0[0]" in forward and "a_0 = a[0]" in forward
    assert "List()" not in text and "empty((1,)" not in text and "fill((1,), out)" in forward


def test_the_numbers_are_the_scalar_programs():
    units = [Tensor(np.array([v])) for v in (0.7, 0.9, 0.4)]
    scalars = [Tensor(np.array(v)) for v in (0.7, 0.9, 0.4)]
    out1, grads1 = nn.ForwardValueAndGrad(ode, get_all=True)(*units)
    out0, grads0 = nn.ForwardValueAndGrad(ode, get_all=True)(*scalars)
    assert out1.shape == (1,) and out1.asnumpy()[0] == out0.asnumpy()
    for g1, g0 in zip(grads1, grads0):
        assert g1.shape == (1,) and g1.asnumpy()[0] == g0.asnumpy()


def test_a_unit_written_into_stays_an_array():
    check_grads(written_into, np.array([0.6]), rtol=1e-6, atol=1e-9)
    text = source_of(written_into, np.array([0.6]))
    assert "y = zeros_like(x)" in text and "y[0] = y_mul_1" in text        # y stays an array
    assert "out_mul = y_0 * y_0" in text                     # y * y, a (1,) value, is a number
