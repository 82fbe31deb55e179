"""The runtime of ForwardValueAndGrad / GradOperation: transpile once per
(network, argument types and shapes), then call the compiled value_and_grad.

The call path is thin: a dict lookup on the arguments' dtypes and shapes, one
compiled call that runs the forward once and the backward once, and Tensor
wrapping of the results. Once a program has run, its call path unrolled for its
signature (fastcall.py) is tried first."""
import inspect
import linecache

import numpy as np

from . import __version__
from . import compile as compile_stage
from . import chained_indexing, counted_loops, parameter, small_vectors, state, unit_arrays, warm_start
from .analyze import analyze
from .codegen import generate
from .errors import CompileError, S2SGradError
from .fastcall import fast_path, run, structure_of, tensor_of
from .normalize import normalize
from .parse import SourceLoc
from .primitives import AVal, aval_of
from .resolve import resolve
from .tensor import Tensor
from .nn.cell import TrainingFlags

DEFAULT_BACKEND = "cpu"
# Targets whose data lives on a device (s2sgrad.cuda registers itself on import):
# target -> call(grad_function, args), which replaces __call__'s host path (and
# fastcall.DEVICE_TENSORS turns their results into Tensors).
DEVICE_CALLS = {}


def _default_target():
    """The target when neither the call nor @s2sgrad.jit names one: set_context(device_target=...)."""
    from .context import get_context
    return "cuda" if get_context("device_target") == "GPU" else DEFAULT_BACKEND


class Compiled:
    """One transpiled and compiled value-and-grad program."""

    def __init__(self, network, arrays, want_inputs, weights, sens_param, backend, cache=True):
        resolved = resolve(network, arrays)
        self.params = [p for _, p in resolved.params]
        self.param_index = {id(p): i for i, p in enumerate(self.params)}
        self.consts = [a if a.ndim else a[()] for _, a in resolved.consts]
        self.input_names = resolved.inputs
        updated = [name for name, _, _ in resolved.updates]      # ops.assign: see state.py
        self.state_params = [p for _, p, _ in resolved.updates]
        fn = normalize(resolved.fn, keep=updated)
        wrt_inputs = [resolved.inputs[i] for i in want_inputs]
        wrt_params = []
        self.weight_slots = []          # per requested weight: index into grads, or None for zeros
        for w in weights:
            i = self.param_index.get(id(w))
            if i is None or not w.requires_grad:
                self.weight_slots.append(None)
            else:
                name = resolved.params[i][0]
                if name not in wrt_params:
                    wrt_params.append(name)
                self.weight_slots.append(len(wrt_inputs) + wrt_params.index(name))
        self.wrt = wrt_inputs + wrt_params
        values = [a for a in arrays if isinstance(a, np.ndarray)] + [p._data for p in self.params] + self.consts
        arg_avals = {a.id: aval_of(v) for a, v in zip(fn.args.args, values)}
        locate = _locator(resolved.source)
        analysis = analyze(fn, arg_avals, self.wrt, locate)
        if counted_loops.convert(fn, analysis.avals):       # new loops: analyze the new text
            analysis = analyze(fn, arg_avals, self.wrt, locate)
        chained_indexing.merge(fn, analysis.avals)
        if unit_arrays.scalarize(fn, analysis.avals, keep=updated):     # new names: analyze the new text
            analysis = analyze(fn, arg_avals, self.wrt, locate)
        if small_vectors.scalarize(fn, analysis.avals):
            analysis = analyze(fn, arg_avals, self.wrt, locate)
        state.check(resolved.updates, analysis.avals)
        from .reverse import reverse
        backward = reverse(fn, analysis, self.wrt, locate)
        what = getattr(network, "__qualname__", type(network).__qualname__)
        # the cpu target compiles a text with elementwise runs fused; users read self.source
        self._readable, self.out_aval, self.compiled_source, self.line_map = generate(
            fn, analysis, backward, sens_param, resolved.source, resolved.root_file, what, __version__, updated,
            fuse=compile_stage.fuses(backend))
        self.grad_dtypes = [analysis.avals[v].dtype for v in self.wrt]
        self.workspace = tuple(np.empty(64, dtype) for _, dtype in backward.workspace)
        try:
            self.module = compile_stage.load(self.compiled_source, backend, cache)
        except S2SGradError as exc:      # a target refused a generated line: say which line of the user's
            line = getattr(exc, "generated_line", None)
            if line is None or exc.loc is not None:
                raise
            raise type(exc)(exc.message, self.line_map.get(line), exc.hint) from None
        self.fn = self.module.value_and_grad
        self.called = False
        self.calls_blas = backend == "cpu" and warm_start.calls_blas(self.compiled_source)

    def call_first(self, fn, *args):
        """fn(*args) as the program's first call: with BLAS found without scipy.linalg's import
        (warm_start.blas_alone); later calls call fn directly."""
        with warm_start.blas_alone(self.calls_blas):
            result = fn(*args)
        self.called = True
        return result

    @property
    def source(self):
        """The generated module users read (compiled_source, with no loop nests fused)."""
        return self._readable()

    def arguments(self, arrays):
        """The compiled functions' arguments: array inputs (0-d as scalars), Parameters,
        constants, then the scalar tapes' buffers (sens, when taken, goes last)."""
        values = [a if a.ndim else a[()] for a in arrays if isinstance(a, np.ndarray)]
        values += [p._data if p._data.ndim else p._data[()] for p in self.params]
        values += self.consts
        values += self.workspace
        return values

    def compile_error(self, exc):
        text = str(exc)
        loc = None
        path = str(getattr(self.module, "__file__", ""))
        for line in text.splitlines():
            if path and path in line and "line" in line:
                try:
                    loc = self.line_map.get(int(line.rsplit("line", 1)[1].strip().split()[0].rstrip(")")))
                except (ValueError, IndexError):
                    pass
        lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith(("During", "File"))]
        first = " / ".join(lines[:3])[:400] if lines else type(exc).__name__
        return CompileError(f"Numba could not compile the generated code: {first}", loc,
                            "check the dtypes of the inputs; `s2sgrad.source(...)` shows the generated code")


def _locator(source_lines):
    def locate(node):
        # a primitive call keeps the user's line in `lineno` and its source key apart
        key = getattr(node, "source_key", None) or getattr(node, "lineno", None)
        return source_lines.get(key) if key is not None else None
    return locate


def _wrapper(aval):
    """A function turning a compiled result of abstract value `aval` into Tensors."""
    if isinstance(aval, tuple):
        parts = [_wrapper(a) for a in aval]
        return lambda v: tuple(w(x) for w, x in zip(parts, v))
    if isinstance(aval, AVal):
        dtype = np.dtype(aval.dtype)
        return lambda v: tensor_of(v, dtype)
    return lambda v: v


class GradFunction:
    """Callable computing (network(*inputs), gradients) with MindSpore's structure."""

    def __init__(self, network, weights, get_all, get_by_list, sens_param, backend=None, cache=None):
        self.network = network
        self.weights = list(weights) if get_by_list and weights is not None else []
        self.get_all = get_all
        self.get_by_list = get_by_list
        self.sens_param = sens_param
        from .jit import options_of     # @s2sgrad.jit(target=..., cache=...) on the network
        options = options_of(network)
        self.backend = backend or options.target or _default_target()
        self.cache = options.cache if cache is None else cache
        self._cache = {}
        self.last = None
        self.training_flags = TrainingFlags(network)
        self._fast = None            # the last program's unrolled call path (fastcall.py)

    def __call__(self, *args):
        if self._fast is not None:
            result = self._fast(args)
            if result is not None:
                return result
        if self.backend not in ("cpu", "python"):
            compile_stage.get_backend(self.backend)       # imports the target, which registers its call
            if self.backend in DEVICE_CALLS:
                return DEVICE_CALLS[self.backend](self, args)
        if self.sens_param:
            if not args:
                raise TypeError("construct() missing 1 required positional argument: the sens (sens_param=True)")
            inputs, sens = args[:-1], args[-1]
        else:
            inputs, sens = args, None
        arrays = [a._data if isinstance(a, Tensor) else a for a in inputs]
        _refuse_sequences(self.network, arrays)
        flags = self.training_flags()
        key = tuple([(a.dtype, a.shape) if isinstance(a, np.ndarray) else (type(a), a) for a in arrays]) + flags
        entry = self._cache.get(key)
        if entry is None or entry.param_epoch != parameter.layout_epoch():
            entry = self._cache[key] = self._build(arrays)
            entry.fast = fast_path(self, entry, inputs, flags)
        self.last = entry
        self._fast = entry.fast
        values = entry.arguments(arrays)
        if self.sens_param:
            values.append(self._sens(sens, entry.out_aval))
        result = run(entry, values) if entry.called else entry.call_first(run, entry, values)
        out, grads, entry.workspace = result[:3]
        if entry.state_params:
            state.write(entry.state_params, result[3])
        return entry.wrap_out(out), entry.structure(grads)

    def _build(self, arrays):
        tensor_positions = [i for i, a in enumerate(arrays) if isinstance(a, np.ndarray)]
        if self.get_all:
            want = tensor_positions
        elif self.get_by_list:
            want = []
        else:   # MindSpore: the gradient of positional input 0, or () when it is not a Tensor
            want = tensor_positions[:1] if tensor_positions and tensor_positions[0] == 0 else []
        entry = Compiled(self.network, arrays, want, self.weights, self.sens_param, self.backend, self.cache)
        entry.param_epoch = parameter.layout_epoch()
        entry.wrap_out = _wrapper(entry.out_aval)
        entry.structure = structure_of(self, entry, len(want))
        return entry

    def _sens(self, sens, aval):
        if isinstance(aval, tuple):
            if not isinstance(sens, (tuple, list)) or len(sens) != len(aval):
                raise S2SGradError(f"the network returns {len(aval)} outputs, so sens must be a tuple of "
                                   f"{len(aval)} tensors, got {type(sens).__name__}")
            return tuple(self._sens(s, a) for s, a in zip(sens, aval))
        if not isinstance(aval, AVal):
            return np.float64(1.0)
        arr = np.asarray(sens._data if isinstance(sens, Tensor) else sens)
        if arr.shape != aval.shape:
            raise S2SGradError(f"sens has shape {list(arr.shape)} but the network's output has shape "
                               f"{list(aval.shape)}; pass a sens of the output's shape")
        arr = arr.astype(aval.dtype, copy=False)
        return arr[()] if arr.ndim == 0 else arr


def _refuse_sequences(network, arrays):
    """A list or dict input is refused at the def of the function or construct it goes to."""
    for i, a in enumerate(arrays):
        if isinstance(a, (list, dict)):
            fn = inspect.unwrap(network)
            code = getattr(fn, "__code__", None) or getattr(getattr(type(fn), "construct", None), "__code__", None)
            loc = code and SourceLoc(code.co_filename, code.co_firstlineno, 0,
                                     linecache.getline(code.co_filename, code.co_firstlineno).rstrip("\n"))
            raise S2SGradError(f"input {i} is a Python {type(a).__name__}: differentiated inputs are Tensors, NumPy "
                               "arrays and Python numbers", loc,
                               "stack the items into one Tensor (np.stack(xs) or ops.stack(xs)) and index it: xs[t]")


def source(obj):
    """The generated source of the last program a ForwardValueAndGrad (or GradFunction) ran."""
    return _last(obj).source


def compiled_source(obj):
    """The text its target compiled: source(obj), except that the cpu target's has each run of
    elementwise statements as one loop nest (elementwise_loops.py) and its inner loops that
    carry float sums split in two (split_reductions.py)."""
    return _last(obj).compiled_source


def _last(obj):
    grad = getattr(obj, "_grad", obj)
    if not isinstance(grad, GradFunction) or grad.last is None:
        raise S2SGradError("nothing compiled yet: call the network once before asking for its source")
    return grad.last
