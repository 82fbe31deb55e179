"""nn.LSTMCell and nn.LSTM: MindSpore 2.10's Parameters (names, shapes, order, recorded from
MindSpore itself), and values against a NumPy LSTM that matched MindSpore 2.10's outputs to
1e-7 in float32 for these four configurations. Gradients (inputs, states and Parameters) are
checked against central differences in the corpus: ce_lstm_cell, ce_lstm."""
import numpy as np
import pytest

from s2sgrad import Tensor, nn


def sigmoid(v):
    return 1 / (1 + np.exp(-v))


def numpy_lstm(xs, params, num_layers, bidirectional, batch_first, hx=None):
    if batch_first:
        xs = xs.transpose(1, 0, 2)
    steps, batch, _ = xs.shape
    directions = 2 if bidirectional else 1
    hidden = params["weight_hh_l0"].shape[1]
    hs, cs, layer_input = [], [], xs
    for layer in range(num_layers):
        outs = []
        for d in range(directions):
            suffix = f"l{layer}" + ("_reverse" if d else "")
            k = layer * directions + d
            h = np.zeros((batch, hidden)) if hx is None else hx[0][k]
            c = np.zeros((batch, hidden)) if hx is None else hx[1][k]
            out = np.zeros((steps, batch, hidden))
            for t in (range(steps - 1, -1, -1) if d else range(steps)):
                gates = (layer_input[t] @ params["weight_ih_" + suffix].T + h @ params["weight_hh_" + suffix].T
                         + params.get("bias_ih_" + suffix, 0) + params.get("bias_hh_" + suffix, 0))
                i, f, g, o = np.split(gates, 4, axis=1)
                c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
                h = sigmoid(o) * np.tanh(c)
                out[t] = h
            outs.append(out)
            hs.append(h)
            cs.append(c)
        layer_input = np.concatenate(outs, axis=2)
    out = layer_input.transpose(1, 0, 2) if batch_first else layer_input
    return out, (np.stack(hs), np.stack(cs))


def test_parameters_are_mindspores():
    cell = nn.LSTMCell(3, 4)
    assert [(p.name, p.shape) for p in cell.trainable_params()] == [
        ("weight_ih", (16, 3)), ("weight_hh", (16, 4)), ("bias_ih", (16,)), ("bias_hh", (16,))]
    lstm = nn.LSTM(3, 4, num_layers=2, batch_first=True, bidirectional=True)
    assert [(p.name, p.shape) for p in lstm.trainable_params()] == [
        ("weight_ih_l0", (16, 3)), ("weight_ih_l0_reverse", (16, 3)), ("weight_ih_l1", (16, 8)),
        ("weight_ih_l1_reverse", (16, 8)), ("weight_hh_l0", (16, 4)), ("weight_hh_l0_reverse", (16, 4)),
        ("weight_hh_l1", (16, 4)), ("weight_hh_l1_reverse", (16, 4)), ("bias_ih_l0", (16,)),
        ("bias_ih_l0_reverse", (16,)), ("bias_ih_l1", (16,)), ("bias_ih_l1_reverse", (16,)), ("bias_hh_l0", (16,)),
        ("bias_hh_l0_reverse", (16,)), ("bias_hh_l1", (16,)), ("bias_hh_l1_reverse", (16,))]
    assert [p.name for p in nn.LSTM(3, 4, has_bias=False).trainable_params()] == ["weight_ih_l0", "weight_hh_l0"]
    assert all(p.asnumpy().dtype == np.float32 and np.abs(p.asnumpy()).max() <= 0.5 for p in lstm.trainable_params())


@pytest.mark.parametrize("num_layers, bidirectional, batch_first", [(2, True, True), (1, False, False),
                                                                    (2, False, True), (1, True, False)])
def test_values_are_the_numpy_lstms(num_layers, bidirectional, batch_first):
    rng = np.random.default_rng(num_layers * 4 + bidirectional * 2 + batch_first)
    lstm = nn.LSTM(3, 4, num_layers=num_layers, batch_first=batch_first, bidirectional=bidirectional,
                   dtype=np.float64)
    params = {p.name: p.asnumpy() for p in lstm.trainable_params()}
    xs = rng.standard_normal((2, 5, 3) if batch_first else (5, 2, 3))
    runs = num_layers * (2 if bidirectional else 1)
    hx = (rng.standard_normal((runs, 2, 4)), rng.standard_normal((runs, 2, 4)))
    for state in (None, hx):
        args = (Tensor(xs),) if state is None else (Tensor(xs), (Tensor(state[0]), Tensor(state[1])))
        out, (h, c) = lstm(*args)
        want_out, (want_h, want_c) = numpy_lstm(xs, params, num_layers, bidirectional, batch_first, state)
        assert out.shape == want_out.shape and h.shape == (runs, 2, 4)
        for got, want in ((out, want_out), (h, want_h), (c, want_c)):
            np.testing.assert_allclose(got.asnumpy(), want, rtol=1e-12, atol=1e-14)


def test_a_cell_step_is_the_numpy_step():
    rng = np.random.default_rng(7)
    cell = nn.LSTMCell(3, 4, dtype=np.float64)
    p = {q.name: q.asnumpy() for q in cell.trainable_params()}
    x, h, c = rng.standard_normal((2, 3)), rng.standard_normal((2, 4)), rng.standard_normal((2, 4))
    got_h, got_c = cell(Tensor(x), (Tensor(h), Tensor(c)))
    params = {"weight_ih_l0": p["weight_ih"], "weight_hh_l0": p["weight_hh"], "bias_ih_l0": p["bias_ih"],
              "bias_hh_l0": p["bias_hh"]}
    _, (want_h, want_c) = numpy_lstm(x[None], params, 1, False, False, (h[None], c[None]))
    np.testing.assert_allclose(got_h.asnumpy(), want_h[0], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(got_c.asnumpy(), want_c[0], rtol=1e-12, atol=1e-14)


def test_bad_arguments_say_which():
    with pytest.raises(TypeError, match="'hidden_size' must be int"):
        nn.LSTM(3, 4.0)
    with pytest.raises(TypeError, match="'has_bias' must be bool"):
        nn.LSTMCell(3, 4, has_bias=1)
    with pytest.raises(ValueError, match="dropout=0.0"):
        nn.LSTM(3, 4, num_layers=2, dropout=0.5)
