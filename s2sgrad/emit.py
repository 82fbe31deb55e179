"""The gradient file `s2sgrad emit` writes (and `net.gradient_source(...)` returns).

It is the generated pair (forward, backward, value_and_grad, as `s2sgrad.source`
shows it) plus a header comment stating the calling convention, the constants the
program was specialised with, the binding to the target (numba.njit for cpu) and two
entry points taking NumPy arrays in the order inputs, then parameters:

    value, grads = gradient(*inputs, *params)      # grads in the order of GRADS
    value = primal(*inputs, *params)

With `standalone=True` the kernels come along (standalone.py) instead of being
imported from s2sgrad, so the file needs only numpy and numba.
"""
import ast
import base64
from dataclasses import dataclass

import numpy as np

from . import compile as compile_stage
from .errors import S2SGradError
from .primitives import AVal

WRT = ("inputs", "weights", "all")
EMIT_TARGETS = ("cpu", "python", "cuda")


@dataclass
class GradientFile:
    text: str
    compiled: object      # grad.Compiled
    inputs: list          # argument names of the runtime inputs
    params: list          # [(argument name, Parameter)]
    grads: list           # names of the returned gradients, d_<argument>


def _weights(network):
    from .nn.cell import Cell
    return network.trainable_params() if isinstance(network, Cell) else []


def gradient_file(network, arrays, wrt="all", sens=False, target="cpu", cache=True, standalone=False):
    """Transpile `network` at `arrays` (its positional arguments; ndarrays are runtime
    inputs) and return the GradientFile."""
    from .grad import Compiled
    if wrt not in WRT:
        raise S2SGradError(f"wrt must be one of {', '.join(WRT)}, got {wrt!r}")
    if target not in compile_stage.known_targets():
        raise S2SGradError(f"unknown target {target!r}", hint=f"choose one of {', '.join(EMIT_TARGETS)}")
    emit_lines = None
    if target == "cuda":
        bind = compile_stage.get_backend("cuda")
        emit_lines = getattr(bind, "emit_lines", None)
        if emit_lines is None:
            raise S2SGradError("the CUDA backend cannot write a gradient file yet",
                               hint="emit with --target cpu; the file's source is the same for every target")
    tensor_positions = [i for i, a in enumerate(arrays) if isinstance(a, np.ndarray)]
    if not tensor_positions:
        raise S2SGradError("the network needs at least one array input to specialise on",
                           hint="give each input's shape and dtype, e.g. --input x=64,784:float32")
    want = tensor_positions if wrt in ("inputs", "all") else []
    weights = _weights(network) if wrt in ("weights", "all") else []
    if wrt == "weights" and not weights:
        raise S2SGradError("the network has no trainable Parameters, so there are no weight gradients",
                           hint="use --wrt inputs")
    compiled = Compiled(network, arrays, want, weights, sens, "python", cache)
    pair = compiled.source
    fwd_args = _forward_args(pair)
    n_in, n_par = len(tensor_positions), len(compiled.params)
    inputs = fwd_args[:n_in]
    params = list(zip(fwd_args[n_in:n_in + n_par], compiled.params))
    grads = [f"d_{name}" for name in compiled.wrt]
    arg_arrays = [arrays[i] for i in tensor_positions] + [p._data for p in compiled.params]
    text = _assemble(pair, compiled, inputs, params, grads, arg_arrays, sens, target, cache, standalone,
                     emit_lines)
    return GradientFile(text, compiled, inputs, params, grads)


def _forward_args(source):
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef) and node.name == "forward":
            return [a.arg for a in node.args.args]
    raise AssertionError("generated source without a forward function")


def _describe(aval):
    if isinstance(aval, tuple):
        return "(" + ", ".join(_describe(a) for a in aval) + ")"
    if isinstance(aval, AVal):
        return f"{aval.dtype.name}{list(aval.shape)}" if aval.shape else f"{aval.dtype.name} scalar"
    return "a Python number"


def _dtype_spec(aval):
    if isinstance(aval, tuple):
        return tuple(_dtype_spec(a) for a in aval)
    return aval.dtype.name if isinstance(aval, AVal) else None


def _const_literal(value):
    """Exact source for a constant the program was specialised with."""
    arr = np.asarray(value)
    if arr.ndim == 0:
        return f"_np.{arr.dtype.name}({arr.item()!r})"
    data = base64.b64encode(np.ascontiguousarray(arr).tobytes()).decode()
    return f"_np.frombuffer(_base64.b64decode({data!r}), {arr.dtype.name!r}).reshape({arr.shape!r})"


def _assemble(pair, compiled, inputs, params, grads, arg_arrays, sens, target, cache, standalone, emit_lines):
    lines = pair.splitlines()
    docstring, body = lines[0], lines[1:]
    import_line = next((i for i, ln in enumerate(body) if ln.startswith("from s2sgrad.backend import ")), None)
    if standalone and import_line is not None:
        from .standalone import kernel_block
        names = [n.strip() for n in body[import_line][len("from s2sgrad.backend import "):].split(",")]
        body[import_line:import_line + 1] = kernel_block(names).rstrip("\n").splitlines()
    args = inputs + [name for name, _ in params]
    sig = ", ".join(args + (["sens"] if sens else []))
    out = [docstring, *_header(compiled, inputs, params, grads, arg_arrays, sens, sig, standalone)]
    out += ["import base64 as _base64", "", "import numpy as _np"] + body
    out += ["", "", *_binding(target, cache, emit_lines), "", "",
            *_entry_points(compiled, args, params, grads, arg_arrays, sens, sig)]
    return "\n".join(out).rstrip() + "\n"


def _header(compiled, inputs, params, grads, arg_arrays, sens, sig, standalone):
    def described(names, arrays):
        return [f"#     {name}: {_describe(AVal(a.dtype, a.shape))}" for name, a in zip(names, arrays)]
    n_in = len(inputs)
    h = ["#",
         "# Calling convention: NumPy arrays, inputs first, then parameters, each with exactly",
         "# the dtype and shape this file was specialised for (regenerate for others):",
         "#   inputs"]
    h += described(inputs, arg_arrays[:n_in])
    if params:
        h += ["#   parameters (the network's Parameters; load_params() reads them from an .npz)"]
        h += [line + f"  ({p.name})" for line, (_, p) in zip(described([n for n, _ in params], arg_arrays[n_in:]),
                                                          params)]
    h += ["#",
          f"#   value, grads = gradient({sig})",
          f"#       value: {_describe(compiled.out_aval)}, the network's output"]
    if sens:
        h += ["#       sens: the output's cotangent, shaped like value (a tuple for a tuple output)"]
    else:
        h += ["#       (the gradient of value summed over its elements: sens = ones, as in MindSpore)"]
    h += [f"#       grads: ({', '.join(grads)}{',' if len(grads) == 1 else ''}), each shaped like its argument",
          f"#   value = primal({', '.join(inputs + [n for n, _ in params])})",
          "#",
          "# forward(*args, *CONSTS, *WORKSPACE) -> (value, residuals) and backward(residuals, sens)",
          "# -> grads below are the raw pair that gradient() and primal() call.",
          "# Depends on " + ("numpy and numba only (Numba's np.dot needs scipy)." if standalone
                             else "s2sgrad (for its kernels), numpy and numba."),
          "# Load it with `import`, or put it in sys.modules before exec_module: Numba's disk cache",
          "# finds the module by name."]
    return h


def _binding(target, cache, emit_lines):
    if target == "python":
        return ["# target python: the functions above run as plain NumPy."]
    if target == "cpu":
        return ["# target cpu: compiled with Numba" + (" (cached next to this file)" if cache else "") + ".",
                "import numba as _numba",
                *[f"{fn} = _numba.njit(cache={bool(cache)})({fn})" for fn in compile_stage.ENTRY_POINTS]]
    return list(emit_lines(cache))


def _entry_points(compiled, args, params, grads, arg_arrays, sens, sig):
    arg_specs = tuple((name, a.dtype.name, tuple(a.shape)) for name, a in zip(args, arg_arrays))
    n_in = len(args) - len(params)
    consts = ", ".join(_const_literal(c) for c in compiled.consts)
    workspace = ", ".join(f"_np.empty(64, {w.dtype.name!r})" for w in compiled.workspace)
    call_args = f"*_arguments(({', '.join(args)},)), *CONSTS, *_WORKSPACE"
    return [
        "# -- entry points ----------------------------------------------------------------",
        f"INPUTS = {tuple(args[:n_in])!r}",
        f"PARAMS = {tuple(args[n_in:])!r}",
        f"PARAM_NAMES = {tuple(p.name for _, p in params)!r}",
        f"GRADS = {tuple(grads)!r}",
        f"CONSTS = ({consts}{',' if len(compiled.consts) == 1 else ''})",
        f"_WORKSPACE = [{workspace}]",
        f"_ARGS = {arg_specs!r}",
        f"_OUT = {_dtype_spec(compiled.out_aval)!r}",
        f"_GRAD_DTYPES = {tuple(d.name for d in compiled.grad_dtypes)!r}",
        "",
        "",
        "def _arguments(values):",
        "    out = []",
        "    for value, (name, dtype, shape) in zip(values, _ARGS):",
        "        a = _np.asarray(value)",
        "        if a.dtype != dtype or a.shape != shape:",
        "            raise TypeError(f'{name}: expected {dtype}{list(shape)}, got {a.dtype}{list(a.shape)}')",
        "        out.append(a[()] if a.ndim == 0 else a)",
        "    return out",
        "",
        "",
        "def _cast(value, spec):",
        "    if isinstance(spec, tuple):",
        "        return tuple(_cast(v, s) for v, s in zip(value, spec))",
        "    return value if spec is None else _np.asarray(value, spec)",
        "",
        "",
        "def _sens(value, spec):",
        "    if isinstance(spec, tuple):",
        "        return tuple(_sens(v, s) for v, s in zip(value, spec))",
        "    a = _np.asarray(value, spec or 'float64')",
        "    return a[()] if a.ndim == 0 else a",
        "",
        "",
        f"def primal({', '.join(args)}):",
        "    \"\"\"The network's output.\"\"\"",
        f"    out, _ = forward({call_args})",
        "    return _cast(out, _OUT)",
        "",
        "",
        f"def gradient({sig}):",
        "    \"\"\"(value, grads): the output and the gradients named in GRADS.\"\"\"",
        f"    out, grads, kept = value_and_grad({call_args}{', _sens(sens, _OUT)' if sens else ''})",
        "    _WORKSPACE[:] = kept",
        "    return _cast(out, _OUT), tuple(_np.asarray(g, d) for g, d in zip(grads, _GRAD_DTYPES))",
        "",
        "",
        "def load_params(path):",
        "    \"\"\"The parameters from an .npz keyed by PARAM_NAMES (s2sgrad emit --save-params), in order.\"\"\"",
        "    with _np.load(path) as data:",
        "        return tuple(data[name] for name in PARAM_NAMES)",
    ]


def save_params(gradient_file, path):
    """Write the parameters of a GradientFile to an .npz keyed by their Parameter names."""
    np.savez(path, **{p.name: p._data for _, p in gradient_file.params})
