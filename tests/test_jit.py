"""@s2sgrad.jit: unsupported syntax is reported at import time at the user's line, a
decorated cell or function runs its compiled forward, and target / cache reach the
gradient functions built on it. Gradients are checked against finite differences."""
import importlib.util
import os
import sys
import textwrap

import numpy as np
import pytest

import s2sgrad as ms
from s2sgrad import Parameter, Tensor, nn, ops
from s2sgrad import compile as compile_stage
from s2sgrad.errors import S2SGradError, UnsupportedSyntaxError

from gradcheck import check_grads


def _import_file(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("where", ["construct", "helper", "method"])
def test_unsupported_syntax_is_reported_at_import_at_the_users_line(tmp_path, where):
    bad = "        return [v for v in x]   # BAD\n"
    helper = "def helper(x):\n    return x * 2.0\n"
    method = "    def twice(self, x):\n        return x * 2.0\n"
    body = "        return self.twice(x)\n" if where == "method" else "        return helper(x)\n"
    if where == "construct":
        body = bad
    elif where == "helper":
        helper = "def helper(x):\n" + bad[4:]
    else:
        method = "    def twice(self, x):\n" + bad
    source = ("import s2sgrad as ms\nfrom s2sgrad import nn\n\n\n" + helper + "\n\n@ms.jit\nclass Net(nn.Cell):\n"
              + method + "\n    def construct(self, x):\n" + body)
    path = tmp_path / f"bad_{where}.py"
    path.write_text(source)
    line = next(i + 1 for i, text in enumerate(source.splitlines()) if "# BAD" in text)
    with pytest.raises(UnsupportedSyntaxError) as info:
        _import_file(path, f"bad_{where}")
    assert info.value.loc.filename == str(path)
    assert info.value.loc.lineno == line
    assert "list comprehension" in str(info.value)


class Mlp(nn.Cell):
    def __init__(self):
        super().__init__()
        rng = np.random.default_rng(0)
        self.w = Parameter(Tensor(rng.standard_normal((4, 3))), name="w")
        self.b = Parameter(Tensor(rng.standard_normal(3)), name="b")

    def construct(self, x, scale=2.0):
        h = ops.tanh(x @ self.w + self.b)
        if h.sum() > 0:
            h = h * scale
        return h, ops.relu(h).sum()


JitMlp = ms.jit(type("JitMlp", (Mlp,), {}))
PyMlp = ms.jit(target="python", cache=False)(type("PyMlp", (Mlp,), {}))


def test_decorated_cell_runs_the_compiled_forward_and_equals_eager():
    x = np.random.default_rng(1).standard_normal((5, 4))
    net = JitMlp()
    out = net(Tensor(x))
    eager = Mlp.construct(net, Tensor(x))
    assert isinstance(out, tuple) and all(isinstance(o, Tensor) for o in out)
    for got, want in zip(out, eager):
        np.testing.assert_allclose(got.asnumpy(), want.asnumpy(), rtol=1e-12, atol=1e-12)
    assert net.__dict__["_s2sgrad_primal"]._entries          # the compiled path ran
    out3 = net(Tensor(x), scale=3.0)                          # keywords bind like construct's
    np.testing.assert_allclose(out3[1].asnumpy(), Mlp.construct(net, Tensor(x), 3.0)[1].asnumpy(), rtol=1e-12)
    plain = Mlp()
    plain(Tensor(x))
    assert "_s2sgrad_primal" not in plain.__dict__            # undecorated cells stay eager


def test_target_python_and_cache_false_reach_the_gradient_functions(tmp_path, monkeypatch):
    monkeypatch.setenv("S2SGRAD_CACHE_DIR", str(tmp_path / "cache"))
    net = PyMlp()
    x = np.random.default_rng(2).standard_normal((5, 4))
    grad = nn.ForwardValueAndGrad(net, get_all=True)
    grad(Tensor(x))
    module = grad._grad.last.module
    assert grad._grad.backend == "python" and not hasattr(module.value_and_grad, "py_func")   # not compiled
    assert not (tmp_path / "cache").exists()                  # cache=False: nothing on disk
    check_grads(net, x)                                       # the gradients, against finite differences
    op = ops.GradOperation(get_all=True)(net)
    op(Tensor(x))
    assert not (tmp_path / "cache").exists()


def test_cache_false_on_cpu_writes_nothing_and_turns_numba_caching_off(tmp_path, monkeypatch):
    monkeypatch.setenv("S2SGRAD_CACHE_DIR", str(tmp_path / "cache"))

    @ms.jit(cache=False)
    def f(x):
        return (x * x).sum() * 0.5

    x = np.arange(3.0) + 0.25
    _, g = nn.ForwardValueAndGrad(f)(Tensor(x))
    np.testing.assert_allclose(g.asnumpy(), x)
    assert not (tmp_path / "cache").exists()
    # the same program with caching on: its source lands in the cache directory
    fn = nn.ForwardValueAndGrad(ms.jit(target="python")(f.__wrapped__))
    fn(Tensor(x))
    assert list((tmp_path / "cache").glob("s2s_*.py"))


def test_environment_variable_turns_the_cache_off(tmp_path, monkeypatch):
    monkeypatch.setenv("S2SGRAD_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("S2SGRAD_CACHE", "0")

    def g(x):
        return (x * 3.0).sum()
    fn = nn.ForwardValueAndGrad(ms.jit(target="python")(g))
    _, d = fn(Tensor(np.ones(2)))
    np.testing.assert_allclose(d.asnumpy(), [3.0, 3.0])
    assert not (tmp_path / "cache").exists()


def scaled_tanh(x, w, scale=2.0):
    return np.tanh(x @ w).sum() * scale


def test_decorated_function_runs_compiled_with_arrays_and_tensors():
    f = ms.jit(target="python")(scaled_tanh)
    rng = np.random.default_rng(3)
    x, w = rng.standard_normal((2, 3)), rng.standard_normal((3, 2))
    want = scaled_tanh(x, w)
    got = f(x, w)
    assert isinstance(got, np.ndarray) and np.allclose(got, want, rtol=1e-12)
    got_t = f(Tensor(x), Tensor(w), scale=3.0)
    assert isinstance(got_t, Tensor) and np.allclose(got_t.asnumpy(), scaled_tanh(x, w, 3.0), rtol=1e-12)
    assert f.__wrapped__ is scaled_tanh and f.__name__ == "scaled_tanh"
    check_grads(f, x, w)


def test_gradient_source_of_instance_class_and_function():
    x = np.zeros((5, 4))
    net = PyMlp()
    text = net.gradient_source(Tensor(x), wrt="weights")
    assert "def forward(x, w, b)" in text and "GRADS = ('d_w', 'd_b')" in text
    assert PyMlp.gradient_source(x, wrt="weights") == text       # the class form builds an instance
    f = ms.jit(scaled_tanh)
    assert "def gradient(x, w)" in f.gradient_source(x, np.zeros((4, 2)), wrt="inputs")


def test_bad_targets_and_missing_cuda_are_clear_errors(monkeypatch):
    with pytest.raises(S2SGradError, match="unknown target 'gpu'"):
        ms.jit(target="gpu")
    with pytest.raises(S2SGradError, match="Cell subclass or a function"):
        ms.jit(42)
    # "cuda" comes from a provider module; when that is missing the error says so
    monkeypatch.setitem(compile_stage._PROVIDERS, "cuda", "s2sgrad._no_such_cuda_module")
    monkeypatch.delitem(compile_stage._BACKENDS, "cuda", raising=False)

    @ms.jit(target="cuda")
    def f(x):
        return (x * 2.0).sum()
    with pytest.raises(S2SGradError, match="CUDA target is not available"):
        nn.ForwardValueAndGrad(f)(Tensor(np.ones(3)))


def test_backends_are_a_registry(monkeypatch):
    calls = []

    def bind(module, source, cache):
        calls.append(cache)
    monkeypatch.setitem(compile_stage._BACKENDS, "traced", bind)

    def f(x):
        return (x * 5.0).sum()
    fn = ms.jit(target="traced", cache=False)(f)
    _, d = nn.ForwardValueAndGrad(fn)(Tensor(np.ones(2)))
    np.testing.assert_allclose(d.asnumpy(), [5.0, 5.0])
    assert calls == [False]


@ms.jit
class NormNet(nn.Cell):
    def __init__(self):
        super().__init__()
        self.bn = nn.BatchNorm1d(3)

    def construct(self, x):
        return self.bn(x) * 2.0


def test_decorated_cell_follows_set_train_and_updates_moving_statistics():
    x = np.random.default_rng(5).standard_normal((6, 3)).astype(np.float32)
    net = NormNet()
    eval_out = net(Tensor(x)).asnumpy()                   # eval: moving statistics (0, 1), left alone
    np.testing.assert_allclose(eval_out, 2 * x / np.sqrt(1 + 1e-5), rtol=1e-5)
    np.testing.assert_array_equal(net.bn.moving_mean.asnumpy(), 0)
    net.set_train()
    train_out = net(Tensor(x)).asnumpy()                  # train: batch statistics, moving mean updated
    mean, var = x.mean(axis=0), x.var(axis=0)
    np.testing.assert_allclose(train_out, 2 * (x - mean) / np.sqrt(var + 1e-5), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(net.bn.moving_mean.asnumpy(), 0.1 * mean, rtol=1e-5, atol=1e-7)
    net.set_train(False)
    np.testing.assert_allclose(net(Tensor(x)).asnumpy(), 2 * (x - 0.1 * mean) /
                               np.sqrt(net.bn.moving_variance.asnumpy() + 1e-5), rtol=1e-5, atol=1e-6)
