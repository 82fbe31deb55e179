"""The `s2sgrad` command: write, show and check the gradient code of a model.

    s2sgrad emit  model.py:Net --args "784, 10" --input x=64,784:float32 -o net_grad.py
    s2sgrad show  model.py:Net --args "784, 10" --input x=64,784:float32
    s2sgrad check model.py:Net --args "784, 10" --input x=64,784:float32 --input y=64:int32:0..10

Exit status: 0 ok, 1 the gradient check failed, 2 bad usage or input (a missing file,
a bad spec, a model outside the supported subset). Errors are one line,
`file:line: message (hint)`; `--debug` shows the traceback instead.
"""
import argparse
import ast
import importlib.util
import inspect
import os
import sys
import traceback
import types
from dataclasses import dataclass

import numpy as np

EXIT_OK, EXIT_MISMATCH, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """Bad command-line input: reported as one line, exit status 2."""

    def __init__(self, message, where=None, hint=None):
        super().__init__(message)
        self.where = where
        self.hint = hint


# -- model and inputs -------------------------------------------------------------

@dataclass
class InputSpec:
    name: str
    shape: tuple
    dtype: np.dtype
    low: float = None
    high: float = None

    def zeros(self):
        return np.zeros(self.shape, self.dtype)

    def random(self, rng, dtype=None):
        """Random values: floats normal (or uniform in low..high), integers in [low, high)
        (default [0, 2), valid class labels and indices for any size >= 2), bools 0/1."""
        dtype = np.dtype(dtype or self.dtype)
        if self.dtype.kind == "f":
            if self.low is None:
                return rng.standard_normal(self.shape).astype(dtype)
            return rng.uniform(self.low, self.high, self.shape).astype(dtype)
        if self.dtype.kind == "b":
            return rng.integers(0, 2, self.shape).astype(bool)
        low, high = (0, 2) if self.low is None else (int(self.low), int(self.high))
        return rng.integers(low, high, self.shape).astype(self.dtype)


def parse_input(text):
    """`name=64,784:float32[:low..high]` (shape may be empty for a scalar; dtype defaults to float32)."""
    example = "e.g. --input x=64,784:float32 or --input y=64:int32:0..10"
    name, eq, rest = text.partition("=")
    if not eq or not name.strip().isidentifier():
        raise UsageError(f"bad --input {text!r}: expected name=shape:dtype", hint=example)
    parts = rest.split(":")
    if len(parts) > 3:
        raise UsageError(f"bad --input {text!r}: too many ':' parts", hint=example)
    shape_text = parts[0].strip().strip("()[]")
    try:
        shape = tuple(int(s) for s in shape_text.split(",") if s.strip()) if shape_text else ()
    except ValueError:
        raise UsageError(f"bad shape {parts[0]!r} in --input {text!r}: use comma-separated integers",
                         hint=example) from None
    if any(n < 0 for n in shape):
        raise UsageError(f"bad shape {parts[0]!r} in --input {text!r}: sizes must be >= 0", hint=example)
    dtype_text = parts[1].strip() if len(parts) > 1 and parts[1].strip() else "float32"
    try:
        dtype = np.dtype({"bool": "bool", "bool_": "bool"}.get(dtype_text, dtype_text))
    except TypeError:
        dtype = None
    if dtype is None or dtype.kind not in "fiub" or dtype_text != dtype.name and dtype_text not in ("bool_",):
        raise UsageError(f"bad dtype {dtype_text!r} in --input {text!r}",
                         hint="use float16, float32, float64, int8, int16, int32, int64, uint8 or bool")
    low = high = None
    if len(parts) == 3:
        lo, dots, hi = parts[2].partition("..")
        try:
            low, high = float(lo), float(hi)
        except ValueError:
            low = None
        if not dots or low is None or not low < high:
            raise UsageError(f"bad range {parts[2]!r} in --input {text!r}: expected low..high with low < high",
                             hint=example)
    return InputSpec(name.strip(), shape, dtype, low, high)


def parse_args_literal(text):
    """`--args "784, 10"`: Python literals, as a tuple."""
    if text is None:
        return ()
    try:
        value = ast.literal_eval(f"({text},)" if text.strip() else "()")
    except (ValueError, SyntaxError) as exc:
        raise UsageError(f"bad --args {text!r}: {exc.__class__.__name__}: {exc}",
                         hint='give Python literals separated by commas, e.g. --args "784, 10"') from None
    return value


def load_module(path):
    if not os.path.isfile(path):
        raise UsageError(f"{path}: no such file", hint="give the model as path/to/model.py:Name")
    path = os.path.abspath(path)
    name = os.path.splitext(os.path.basename(path))[0]
    if not name.isidentifier():
        name = "s2sgrad_model"
    sys.path.insert(0, os.path.dirname(path))      # the model may import its neighbours
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def load_target(target, init_args):
    """`model.py:Name` -> a Cell instance or a plain function to differentiate.
    Name is a Cell class (built with init_args), a factory (a function called with
    init_args, or one without required parameters) returning a Cell, or a plain function."""
    from .nn.cell import Cell
    path, colon, attr = target.rpartition(":")
    if not colon or not path or not attr:
        raise UsageError(f"bad model {target!r}: expected path/to/model.py:Name", hint="e.g. model.py:Net")
    module = load_module(path)
    obj = module
    for part in attr.split("."):
        if not hasattr(obj, part):
            names = sorted(n for n, v in vars(module).items()
                           if not n.startswith("_") and (isinstance(v, types.FunctionType) or
                                                         isinstance(v, type) and issubclass(v, Cell)))
            raise UsageError(f"{path} defines no {attr!r}", where=path,
                             hint=f"defined there: {', '.join(names) or 'no Cell classes or functions'}")
        obj = getattr(obj, part)
    if isinstance(obj, type) and issubclass(obj, Cell):
        return obj(*init_args), path
    if isinstance(obj, Cell):
        return obj, path
    if isinstance(obj, types.FunctionType):
        fn = inspect.unwrap(obj)
        required = [p for p in inspect.signature(fn).parameters.values()
                    if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        if init_args or not required:       # a factory
            made = obj(*init_args)
            if not isinstance(made, Cell) and not isinstance(made, types.FunctionType):
                raise UsageError(f"{attr}({', '.join(map(repr, init_args))}) returned {type(made).__name__}, "
                                 f"not a Cell", where=path, hint="a factory must return a Cell instance")
            return made, path
        return obj, path
    raise UsageError(f"{attr} is a {type(obj).__name__}, not a Cell class, a factory or a function", where=path)


def _signature_of(network):
    from .nn.cell import Cell
    if isinstance(network, Cell):
        fn = type(network).construct
        params = list(inspect.signature(fn).parameters.values())[1:]
        what = f"{type(network).__name__}.construct"
    else:
        params = list(inspect.signature(inspect.unwrap(network)).parameters.values())
        what = network.__name__
    return what, params


def build_arguments(network, specs, make):
    """The positional arguments of construct (or the function): `make(spec)` for each
    --input by name, defaults for the rest."""
    what, params = _signature_of(network)
    names = [p.name for p in params]
    by_name = {}
    for s in specs:
        if s.name in by_name:
            raise UsageError(f"--input {s.name} given twice")
        if s.name not in names:
            raise UsageError(f"{what} has no argument {s.name!r}", hint=f"its arguments: {', '.join(names)}")
        by_name[s.name] = s
    missing = [p.name for p in params if p.default is p.empty and p.name not in by_name]
    if missing:
        raise UsageError(f"{what} needs the shape and dtype of {', '.join(missing)}",
                         hint=" ".join(f"--input {n}=SHAPE:DTYPE" for n in missing) +
                         " (e.g. --input x=64,784:float32)")
    last = max((names.index(n) for n in by_name), default=-1)
    args = []
    for p in params[:last + 1]:
        args.append(make(by_name[p.name]) if p.name in by_name else p.default)
    return args


# -- commands ------------------------------------------------------------------------

def _gradient_file(ns, network, specs):
    from .emit import gradient_file
    arrays = build_arguments(network, specs, InputSpec.zeros)
    return gradient_file(network, arrays, wrt=ns.wrt, sens=ns.sens, target=ns.target,
                         cache=not ns.no_cache, standalone=getattr(ns, "standalone", False))


def cmd_emit(ns, network, specs):
    gf = _gradient_file(ns, network, specs)
    out = ns.output
    try:
        with open(out, "w") as f:
            f.write(gf.text)
    except OSError as exc:
        raise UsageError(f"{out}: cannot write: {exc.strerror}", hint="check that the folder exists") from None
    print(f"wrote {out}: gradient({', '.join(gf.inputs + [n for n, _ in gf.params])}"
          f"{', sens' if ns.sens else ''}) -> (value, ({', '.join(gf.grads)}))")
    if ns.save_params:
        from .emit import save_params
        save_params(gf, ns.save_params)
        print(f"wrote {ns.save_params}: {', '.join(p.name for _, p in gf.params) or 'no parameters'}")
    return EXIT_OK


def cmd_show(ns, network, specs):
    ns.standalone = False
    gf = _gradient_file(ns, network, specs)
    colour = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    lines = gf.text.splitlines()
    width = len(str(len(lines)))
    for i, line in enumerate(lines, 1):
        number = f"{i:>{width}}  "
        if colour:
            number = f"\033[2m{number}\033[0m"
            stripped = line.lstrip()
            if stripped.startswith("#"):
                line = f"\033[32m{line}\033[0m"
            elif stripped.startswith("def "):
                line = f"\033[1m{line}\033[0m"
        print(number + line)
    return EXIT_OK


def cmd_check(ns, network, specs):
    from .check import check_gradients, format_table
    result = check_gradients(network, specs, build_arguments, wrt=ns.wrt, target=ns.target, seed=ns.seed,
                             samples=ns.samples, rtol=ns.rtol, atol=ns.atol, cache=not ns.no_cache)
    print(format_table(result))
    return EXIT_OK if result.ok else EXIT_MISMATCH


# -- argument parsing -------------------------------------------------------------------

EXAMPLES = {
    "emit": "example:\n  s2sgrad emit examples/mlp.py:MLP --args \"784, 10\" --input x=64,784:float32 "
            "--input y=64:int32 --standalone -o mlp_grad.py --save-params mlp_params.npz",
    "show": "example:\n  s2sgrad show examples/mlp.py:MLP --args \"784, 10\" --input x=64,784:float32 --input y=64:int32",
    "check": "example:\n  s2sgrad check examples/mlp.py:MLP --args \"784, 10\" --input x=64,784:float32 "
             "--input y=64:int32:0..10",
}
MODEL_HELP = ("path/to/model.py:Name, Name a Cell class (built with --args), a function returning a Cell "
              "(called with --args, or with none when it needs none) or a plain function to differentiate")


def _common(p, check=False):
    p.add_argument("model", help=MODEL_HELP)
    p.add_argument("--args", default=None, metavar="LITERALS",
                   help='constructor (or factory) arguments as Python literals, e.g. "784, 10"')
    p.add_argument("--input", action="append", default=[], metavar="NAME=SHAPE:DTYPE[:LOW..HIGH]",
                   help="shape and dtype of an argument of construct, e.g. x=64,784:float32; an empty shape is a "
                        "scalar; LOW..HIGH is the range of random values for check (integers default to 0..2)")
    p.add_argument("--wrt", choices=("inputs", "weights", "all"), default="all",
                   help="gradients of the array inputs, of the trainable Parameters, or both (default)")
    p.add_argument("--target", choices=("cpu", "cuda", "python"), default=None,
                   help="cpu: compiled with Numba (default, or the model's @s2sgrad.jit target); python: plain NumPy")
    p.add_argument("--no-cache", action="store_true", help="write nothing to the disk cache")
    if not check:
        p.add_argument("--sens", action="store_true",
                       help="the gradient function takes the output's cotangent (sens) as its last argument")


def make_parser():
    parser = argparse.ArgumentParser(
        prog="s2sgrad", description="Write, show and check the gradient code s2sgrad generates for a model.",
        epilog="exit status: 0 ok, 1 gradient check failed, 2 bad usage or input\n\n" + "\n".join(EXAMPLES.values()),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = parser.add_subparsers(dest="command", metavar="{emit,show,check}")
    sub.required = True
    fmt = argparse.RawDescriptionHelpFormatter
    emit = sub.add_parser("emit", help="write a gradient source file", epilog=EXAMPLES["emit"], formatter_class=fmt,
                          description="Write the forward and backward functions of a model as an importable "
                                      "Python file, callable with NumPy arrays (inputs, then parameters).")
    _common(emit)
    emit.add_argument("-o", "--output", default=None, help="file to write (default: <model>_grad.py)")
    emit.add_argument("--standalone", action="store_true",
                      help="copy the kernels into the file, so it needs only numpy and numba")
    emit.add_argument("--save-params", default=None, metavar="FILE.npz",
                      help="also write the model's parameter values (read them with load_params)")
    show = sub.add_parser("show", help="print the generated code with line numbers", epilog=EXAMPLES["show"],
                          formatter_class=fmt, description="Print the gradient file `emit` would write.")
    _common(show)
    check = sub.add_parser("check", help="check every gradient against finite differences", epilog=EXAMPLES["check"],
                           formatter_class=fmt,
                           description="Compare each gradient with central finite differences in float64 at "
                                       "seeded random inputs (a sample of entries per tensor); exit 1 on mismatch.")
    _common(check, check=True)
    check.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    check.add_argument("--samples", type=int, default=12, help="entries checked per gradient (default 12)")
    check.add_argument("--rtol", type=float, default=1e-4, help="relative tolerance (default 1e-4)")
    check.add_argument("--atol", type=float, default=1e-6,
                       help="absolute tolerance, scaled by the gradient's largest entry (default 1e-6)")
    return parser


def _one_line(exc, default_where):
    """`file:line: message (hint)` for an error."""
    from .errors import S2SGradError
    if isinstance(exc, S2SGradError):
        where = f"{exc.loc.filename}:{exc.loc.lineno}" if exc.loc is not None else default_where
        text, hint = exc.message, exc.hint
    elif isinstance(exc, UsageError):
        where, text, hint = exc.where, str(exc), exc.hint
    elif isinstance(exc, SyntaxError):
        where = f"{exc.filename}:{exc.lineno}"
        text, hint = f"SyntaxError: {exc.msg}", None
    else:
        tb = traceback.extract_tb(exc.__traceback__)
        user = [f for f in tb if default_where and os.path.abspath(f.filename) == os.path.abspath(default_where)]
        where = f"{user[-1].filename}:{user[-1].lineno}" if user else default_where
        text, hint = f"{type(exc).__name__}: {exc}", "rerun with --debug to see the traceback"
    text = " ".join(str(text).split())
    line = f"{where}: {text}" if where else text
    return line + (f" ({hint})" if hint else "")


def main(argv=None):
    parser = make_parser()
    ns = parser.parse_args(argv)              # argparse exits 2 on bad usage
    model_file = ns.model.rpartition(":")[0] or None
    try:
        init_args = parse_args_literal(ns.args)
        specs = [parse_input(t) for t in ns.input]
        if ns.command == "emit" and ns.output is None:
            stem = os.path.splitext(os.path.basename(model_file or "model"))[0]
            ns.output = f"{stem}_grad.py"
        network, model_file = load_target(ns.model, init_args)
        if ns.target is None:
            from .jit import options_of
            ns.target = options_of(network).target or "cpu"
        return {"emit": cmd_emit, "show": cmd_show, "check": cmd_check}[ns.command](ns, network, specs)
    except KeyboardInterrupt:
        raise
    except Exception as exc:        # every failure is one line; --debug shows where it came from
        if ns.debug:
            traceback.print_exc()
        else:
            print(_one_line(exc, model_file), file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
