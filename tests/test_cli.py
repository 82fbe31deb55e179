"""The `s2sgrad` command line: emit writes an importable gradient file whose gradients
equal ForwardValueAndGrad's and finite differences (a --standalone file runs where
s2sgrad cannot be imported), show prints it with line numbers, check compares every
gradient with finite differences (exit 1 on a mismatch), bad input is one line and
exit status 2."""
import importlib.util
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import s2sgrad as ms
from s2sgrad import ParameterTuple, Tensor, nn
from s2sgrad.cli import main
from s2sgrad.jit import gradient_source

from gradcheck import numeric_grads

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MLP = os.path.join(REPO, "examples", "mlp_model.py")
MLP_ARGS = ["--args", "4, 6, 3", "--input", "data=5,4:float32", "--input", "label=5:int32"]

MODELS = '''
import numpy as np
import s2sgrad as ms
from s2sgrad import Parameter, Tensor, nn, ops


def smooth_loss(x, w):
    h = np.tanh(x @ w)
    return (h * h).sum() + x.sum()


class WrongBprop(nn.Cell):
    """A custom bprop that forgets the factor 2 of d(x*x)."""

    def construct(self, x):
        return x * x

    def bprop(self, x, out, dout):
        return (x * dout,)


class UsesWrongBprop(nn.Cell):
    def __init__(self):
        super().__init__()
        self.square = WrongBprop()

    def construct(self, x):
        return self.square(x) + x


class Scaled(nn.Cell):
    def __init__(self, k):
        super().__init__()
        self.w = Parameter(Tensor(np.full((3,), k, np.float32)), name="w")

    def construct(self, x):
        return (x * self.w).sum()


class Unsupported(nn.Cell):
    def construct(self, x):
        with open("f"):  # unsupported
            y = x
        return y
'''


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    path = tmp_path_factory.mktemp("models") / "models.py"
    path.write_text(MODELS)
    return str(path)


def run_cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "s2sgrad.cli", *args], capture_output=True, text=True,
                          cwd=cwd or REPO, timeout=300)


def _import(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module          # as `import` does, before running it
    spec.loader.exec_module(module)
    return module


def test_standalone_files_run_without_s2sgrad_and_equal_forward_value_and_grad(tmp_path, models):
    # the MLP as plain NumPy (cheap), and a small function compiled with Numba (target cpu)
    out = tmp_path / "mlp_grad.py"
    params = tmp_path / "params.npz"
    r = run_cli("emit", f"{MLP}:classifier", *MLP_ARGS, "--standalone", "--target", "python", "-o", str(out),
                "--save-params", str(params))
    assert r.returncode == 0, r.stderr
    r = run_cli("emit", f"{models}:smooth_loss", "--input", "x=3,4:float64", "--input", "w=4,2:float64",
                "--standalone", "--no-cache", "-o", str(tmp_path / "loss_grad.py"))
    assert r.returncode == 0, r.stderr
    assert "value_and_grad = _numba.njit(cache=False)(value_and_grad)" in (tmp_path / "loss_grad.py").read_text()
    text = out.read_text()
    assert not [ln for ln in text.splitlines() if ln.lstrip().startswith(("from s2sgrad", "import s2sgrad"))]
    assert "# grad of mlp_model.py line" in text         # backward blocks name the user's lines
    # the same text as the Python API gives
    from examples_mlp import classifier
    net = classifier(4, 6, 3)
    assert gradient_source(net, (np.zeros((5, 4), np.float32), np.zeros(5, np.int32)), standalone=True,
                           target="python") == text

    rng = np.random.default_rng(0)
    x = rng.standard_normal((5, 4)).astype(np.float32)
    y = rng.integers(0, 3, 5).astype(np.int32)
    xs, ws = rng.standard_normal((3, 4)), rng.standard_normal((4, 2))
    np.savez(tmp_path / "inputs.npz", x=x, y=y, xs=xs, ws=ws)
    runner = textwrap.dedent('''
        import sys
        sys.modules["s2sgrad"] = None          # any import of s2sgrad fails from here on
        try:
            import s2sgrad
            raise SystemExit("s2sgrad is importable")
        except ImportError:
            pass
        import numpy as np
        sys.path.insert(0, ".")                # -I leaves out the script's folder (only the emitted files)
        import mlp_grad
        inputs = np.load("inputs.npz")
        value, grads = mlp_grad.gradient(inputs["x"], inputs["y"], *mlp_grad.load_params("params.npz"))
        np.savez("result.npz", value=value, primal=mlp_grad.primal(inputs["x"], inputs["y"],
                 *mlp_grad.load_params("params.npz")), **dict(zip(mlp_grad.GRADS, grads)))
        import loss_grad
        assert type(loss_grad.forward).__name__ == "CPUDispatcher"     # compiled by Numba
        value, (dx, dw) = loss_grad.gradient(inputs["xs"], inputs["ws"])
        np.savez("loss.npz", value=value, dx=dx, dw=dw)
    ''')
    (tmp_path / "runner.py").write_text(runner)
    r = subprocess.run([sys.executable, "-I", "runner.py"], cwd=tmp_path, capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stderr
    result = np.load(tmp_path / "result.npz")

    weights = ParameterTuple(net.trainable_params())
    value, (d_inputs, d_weights) = nn.ForwardValueAndGrad(net, weights, get_all=True, get_by_list=True)(
        Tensor(x), Tensor(y))
    np.testing.assert_allclose(result["value"], value.asnumpy(), rtol=1e-6)
    np.testing.assert_allclose(result["primal"], value.asnumpy(), rtol=1e-6)
    expected = dict(zip(["d_data", "d_label", "d_w1", "d_b1", "d_w2", "d_b2"],
                        [g.asnumpy() for g in d_inputs + d_weights]))
    assert sorted(expected) == sorted(k for k in result.files if k.startswith("d_"))
    for name, want in expected.items():
        np.testing.assert_allclose(result[name], want, rtol=1e-5, atol=1e-7, err_msg=name)

    loss = np.load(tmp_path / "loss.npz")
    args = [Tensor(xs), Tensor(ws)]
    np.testing.assert_allclose(loss["value"], float(np.sum(np.tanh(xs @ ws) ** 2) + xs.sum()), rtol=1e-12)
    fd = numeric_grads(lambda a, b: np.sum(np.tanh(a.asnumpy() @ b.asnumpy()) ** 2) + a.asnumpy().sum(),
                       args, [np.float64(1.0)], [0, 1])
    np.testing.assert_allclose(loss["dx"], fd[0], rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(loss["dw"], fd[1], rtol=1e-6, atol=1e-8)


@pytest.fixture(autouse=True, scope="module")
def _examples_on_path():
    """`examples_mlp` is examples/mlp_model.py under a name of its own."""
    _import(MLP, "examples_mlp")
    yield
    sys.modules.pop("examples_mlp", None)


def test_emitted_function_file_matches_finite_differences(tmp_path, models):
    out = tmp_path / "loss_grad.py"
    r = run_cli("emit", f"{models}:smooth_loss", "--input", "x=3,4:float64", "--input", "w=4,2:float64",
                "--target", "python", "--sens", "-o", str(out))
    assert r.returncode == 0, r.stderr
    module = _import(str(out), "loss_grad")
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal((3, 4)), rng.standard_normal((4, 2))
    sens = 0.7
    value, (dx, dw) = module.gradient(x, w, sens)
    assert module.GRADS == ("d_x", "d_w") and module.PARAMS == ()
    expected = numeric_grads(lambda a, b: module.primal(a.asnumpy(), b.asnumpy()),
                             [Tensor(x), Tensor(w)], [np.float64(sens)], [0, 1])
    np.testing.assert_allclose(dx, expected[0], rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(dw, expected[1], rtol=1e-6, atol=1e-8)
    with pytest.raises(TypeError, match=r"x: expected float64\[3, 4\], got float32"):
        module.gradient(x.astype(np.float32), w, sens)


def test_show_prints_numbered_lines_without_colour_when_piped(models):
    r = run_cli("show", f"{models}:Scaled", "--args", "2.0", "--input", "x=3:float32", "--target", "python")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].split(None, 1) == ["1", '"""Generated by s2sgrad ' + ms.__version__ +
                                       ': forward and backward of Scaled."""']
    assert any(line.split(None, 1)[1].startswith("def backward(residuals, sens):") for line in lines if
               len(line.split(None, 1)) == 2)
    assert "\033[" not in r.stdout


def test_check_passes_for_correct_gradients_and_fails_for_a_wrong_bprop(models, capsys):
    r = run_cli("check", f"{MLP}:classifier", *MLP_ARGS[:-1], "label=5:int32:0..3", "--target", "python")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "all gradients match" in r.stdout
    for name in ("d_data", "d_w1", "d_b1", "d_w2", "d_b2"):
        assert any(line.startswith(name + " ") and line.rstrip().endswith("ok") for line in r.stdout.splitlines())
    assert "label: int32 in [0, 3)" in r.stdout
    code = main(["check", f"{models}:UsesWrongBprop", "--input", "x=4:float64", "--target", "python"])
    out = capsys.readouterr().out
    assert code == 1
    assert "MISMATCH" in out and "d_x" in out


@pytest.mark.parametrize("argv, message", [
    (["emit", "no_such_file.py:Net", "--input", "x=2:float32"], "no_such_file.py: no such file"),
    (["emit", "MODELS", "--input", "x=2:float32"], "bad model"),
    (["emit", "MODELS:Nope", "--input", "x=2:float32"], "defines no 'Nope'"),
    (["emit", "MODELS:Scaled", "--args", "2.0", "--input", "x=2:floaty"], "bad dtype 'floaty'"),
    (["emit", "MODELS:Scaled", "--args", "2.0", "--input", "x2,3"], "bad --input"),
    (["emit", "MODELS:Scaled", "--args", "2.0,("], "bad --args"),
    (["emit", "MODELS:Scaled", "--args", "2.0"], "needs the shape and dtype of x (--input x=SHAPE:DTYPE"),
    (["emit", "MODELS:Scaled", "--args", "2.0", "--input", "y=3:float32"], "has no argument 'y'"),
    (["check", "MODELS:Scaled", "--args", "2.0", "--input", "x=3:int32:5..1"], "bad range"),
    (["show", "MODELS:Unsupported", "--input", "x=3:float32"], "with is not supported"),
])
def test_bad_input_is_one_line_with_exit_status_2(models, capsys, argv, message):
    argv = [a.replace("MODELS", models) for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    if "Unsupported" in argv[1]:
        line = MODELS.splitlines().index('        with open("f"):  # unsupported') + 1
        assert err.startswith(f"{models}:{line}: ")


def test_process_exit_status_and_debug_traceback(models):
    r = run_cli("emit", f"{models}:Unsupported", "--input", "x=3:float32")
    assert r.returncode == 2 and "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1
    r = run_cli("--debug", "emit", f"{models}:Unsupported", "--input", "x=3:float32")
    assert r.returncode == 2 and "Traceback" in r.stderr


@pytest.mark.parametrize("command", ["emit", "show", "check"])
def test_every_subcommand_help_has_an_example(command, capsys):
    with pytest.raises(SystemExit) as info:
        main([command, "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert "example:" in out and f"s2sgrad {command} " in out
