"""numba_names.safe_names: in the cpu target's text, a local array `B_1` next to an array B
assigned more than once is renamed, so that Numba's array expressions, which spell B's
version 1 as `B_1_1`, do not stop with "AssertionError: 'B_1_1' not unique"."""
import gast
import numpy as np

import s2sgrad
from s2sgrad import Tensor, nn
from s2sgrad.numba_names import safe_names
from s2sgrad.primitives import AVal

TEXT = '''def backward(residuals, sens):
    # line 3: d_x_1 = d_x + 1.0
    d_x = sens * 2.0
    d_x = d_x * 3.0
    d_x_1 = d_x + 1.0
    n_1 = d_x_1.shape
    return d_x_1, n_1
'''


def _statements(text):
    return gast.parse(text).body[0].body


def test_an_array_named_like_a_version_is_renamed_in_its_code_lines_only():
    vec = AVal(np.dtype(np.float64), (3,))
    out = safe_names(TEXT, {"backward": (["residuals", "sens"], _statements(TEXT))},
                     {"d_x": vec, "d_x_1": vec, "n_1": int, "n": int})
    assert "    d_x_1_ = d_x + 1.0\n" in out and "return d_x_1_, n_1" in out
    assert "# line 3: d_x_1 = d_x + 1.0" in out            # the user's line, as written
    assert "d_x_1_.shape" in out and len(out.splitlines()) == len(TEXT.splitlines())
    numbers = {"d_x": float, "d_x_1": float}
    assert safe_names(TEXT, {"backward": (["residuals", "sens"], _statements(TEXT))}, numbers) == TEXT


def ode(x0, a, b):
    x = x0
    for _ in range(30):
        x = x + 0.01 * (a * x - b * x * x * x)
    return np.sum(x * x)


def test_a_loop_over_one_element_arrays_compiles_and_matches_central_differences():
    args = [np.array([0.7]), np.array([0.9]), np.array([0.4])]
    _, grads = nn.ForwardValueAndGrad(s2sgrad.jit(ode), get_all=True)(*map(Tensor, args))
    for k, grad in enumerate(grads):
        step = [np.zeros(1) for _ in args]
        step[k][0] = 1e-6
        up = ode(*[a + s for a, s in zip(args, step)])
        down = ode(*[a - s for a, s in zip(args, step)])
        np.testing.assert_allclose(grad.asnumpy(), [(up - down) / 2e-6], rtol=1e-6)
