"""`@s2sgrad.jit`: compile a Cell class or a plain function ahead of its first use.

    @s2sgrad.jit                                   # or @s2sgrad.jit(target="python", cache=False)
    class Net(nn.Cell):
        def construct(self, x): ...

At decoration time the source of `construct` (and of the class's other methods and
the module-level helpers it calls, as far as they exist yet) is parsed and fenced, so
unsupported syntax is reported at the user's line when the module is imported.
Calling a decorated cell (or function) with Tensors runs the compiled forward
(primal) instead of executing construct eagerly; results come back as Tensors.
ForwardValueAndGrad, GradOperation and value_and_grad built on a decorated network
compile for its `target` and honour its `cache` flag (`options_of`).
"""
import functools
import inspect
import types
from dataclasses import dataclass

import gast
import numpy as np

from . import compile as compile_stage
from . import parameter, state
from .errors import S2SGradError
from .fastcall import from_numba
from .jumps import structure
from .parse import parse_function
from .nn.cell import TrainingFlags

ATTR = "__s2sgrad_jit__"


@dataclass(frozen=True)
class JitOptions:
    target: object = None      # None: the default target (cpu)
    cache: bool = True


NO_OPTIONS = JitOptions()


def jit(obj=None, *, target="cpu", cache=True):
    """Decorate a Cell subclass or a plain function; see the module docstring.

    target: "cpu" (numba.njit, the default), "python" (the generated source run
    uncompiled, for debugging) or "cuda". cache: False keeps everything off the disk
    (no generated files, no Numba cache); `S2SGRAD_CACHE=0` does the same globally."""
    if not isinstance(target, str) or target not in compile_stage.known_targets():
        raise S2SGradError(f"@s2sgrad.jit: unknown target {target!r}",
                           hint=f"choose one of {', '.join(compile_stage.known_targets())}")
    if not isinstance(cache, bool):
        raise S2SGradError(f"@s2sgrad.jit: cache must be True or False, got {cache!r}")
    if obj is None:
        return lambda o: jit(o, target=target, cache=cache)
    options = JitOptions(target, cache)
    from .nn.cell import Cell
    if isinstance(obj, type) and issubclass(obj, Cell):
        check_class(obj)
        setattr(obj, ATTR, options)
        obj.gradient_source = _GradientSource()
        return obj
    if isinstance(obj, types.FunctionType):
        check_function(obj)
        return _function_wrapper(obj, options)
    raise S2SGradError(f"@s2sgrad.jit decorates a Cell subclass or a function, not {type(obj).__name__}",
                       hint="put @s2sgrad.jit on the class statement of the network, or on a def")


def options_of(network):
    """The JitOptions that apply to `network`: its own decoration, else the one its
    decorated sub-cells share (WithLossCell(jitted_net, loss)), else the defaults."""
    from .nn.cell import Cell
    if isinstance(network, Cell):
        own = getattr(type(network), ATTR, None)
        if own is not None:
            return own
        found = {getattr(type(c), ATTR) for _, c in network.cells_and_names() if getattr(type(c), ATTR, None)}
        if len(found) > 1:
            targets = ", ".join(sorted(f"target={o.target!r} cache={o.cache}" for o in found))
            raise S2SGradError(f"the sub-cells of {type(network).__name__} are decorated with different "
                               f"@s2sgrad.jit options ({targets})",
                               hint=f"decorate {type(network).__name__} itself, or give the sub-cells one target")
        return found.pop() if found else NO_OPTIONS
    if isinstance(network, types.MethodType):
        return options_of(network.__self__)
    return getattr(network, ATTR, None) or NO_OPTIONS


# -- decoration-time checks -------------------------------------------------------

def check_function(fn, seen=None):
    """Parse and fence `fn`, rewrite its jumps, then check the module-level helpers it
    calls that exist already (helpers defined further down are checked at first use)."""
    seen = set() if seen is None else seen
    fn = inspect.unwrap(fn)
    if fn in seen:
        return
    seen.add(fn)
    parsed = parse_function(fn)
    structure(parsed.tree)
    for name in _called_names(parsed.tree):
        helper = fn.__globals__.get(name)
        if isinstance(helper, types.FunctionType) and _is_user_code(helper):
            check_function(helper, seen)


def check_class(cls):
    """Check construct, bprop and the other methods the class defines itself."""
    if cls.construct is _base_construct():
        raise S2SGradError(f"@s2sgrad.jit: {cls.__name__} does not define construct",
                           hint="define construct(self, ...) in the class")
    seen = set()
    for klass in cls.__mro__:
        if klass.__module__.startswith("s2sgrad."):
            break
        for name, value in vars(klass).items():
            if isinstance(value, types.FunctionType) and name not in ("__init__",) and \
                    (name in ("construct", "bprop") or not name.startswith("__")):
                if name in ("construct", "bprop") or _called_as_method(cls, name):
                    check_function(value, seen)


def _base_construct():
    from .nn.cell import Cell
    return Cell.construct


def _called_as_method(cls, name):
    """True when construct (or bprop) calls self.<name>(...)."""
    for entry in ("construct", "bprop"):
        fn = getattr(cls, entry, None)
        if isinstance(fn, types.FunctionType):
            tree = parse_function(fn).tree
            for node in gast.walk(tree):
                if isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute) \
                        and node.func.attr == name and isinstance(node.func.value, gast.Name) \
                        and node.func.value.id == "self":
                    return True
    return False


def _called_names(tree):
    return {n.func.id for n in gast.walk(tree) if isinstance(n, gast.Call) and isinstance(n.func, gast.Name)}


def _is_user_code(fn):
    module = getattr(fn, "__module__", None) or ""
    return not module.startswith(("numpy", "s2sgrad", "numba", "math", "builtins"))


# -- running the compiled primal -----------------------------------------------------

def _arrays(args):
    from .tensor import Tensor
    return [a._data if isinstance(a, Tensor) else a for a in args]


def _key(arrays):
    key = []
    for a in arrays:
        if isinstance(a, np.ndarray):
            key.append((a.dtype, a.shape))
        else:
            try:
                hash(a)
                key.append((type(a), a))
            except TypeError:
                key.append((type(a), id(a)))
    return tuple(key)


class Primal:
    """The compiled forward of one network, specialised per argument dtypes and shapes."""

    def __init__(self, network, options):
        self.network = network
        self.target = options.target or "cpu"
        self.cache = options.cache
        self._entries = {}
        self._flags = None          # TrainingFlags, once the network is known

    def __call__(self, args):
        from .grad import Compiled, _wrapper
        arrays = _arrays(args)
        if self._flags is None:
            self._flags = TrainingFlags(self.network)
        key = _key(arrays) + self._flags()
        entry = self._entries.get(key)
        if entry is None or entry.param_epoch != parameter.layout_epoch():
            entry = Compiled(self.network, arrays, [], [], False, self.target, self.cache)
            entry.param_epoch = parameter.layout_epoch()
            entry.wrap_out = _wrapper(entry.out_aval)
            self._entries[key] = entry
        try:
            values = entry.arguments(arrays)
            forward = entry.module.forward
            result = forward(*values) if entry.called else entry.call_first(forward, *values)
        except Exception as exc:
            if from_numba(exc):
                raise entry.compile_error(exc) from None
            raise
        if entry.state_params:             # ops.assign: the forward returns the Parameters' new values last
            state.write(entry.state_params, result[2])
        return entry.wrap_out(result[0])



def _bind(fn, args, kwargs, skip_self):
    """Positional arguments after binding keywords to the signature of `fn`."""
    if not kwargs:
        return args
    sig = inspect.signature(fn)
    if skip_self:
        params = list(sig.parameters.values())[1:]
        sig = sig.replace(parameters=params)
    try:
        return sig.bind(*args, **kwargs).args
    except TypeError as exc:
        raise TypeError(f"{fn.__qualname__}(): {exc}") from None


def call_cell(cell, args, kwargs):
    """`cell(*args)` of a decorated Cell: the compiled forward, results as Tensors."""
    primal = cell.__dict__.get("_s2sgrad_primal")
    if primal is None:
        primal = Primal(cell, getattr(type(cell), ATTR))
        object.__setattr__(cell, "_s2sgrad_primal", primal)
    return primal(_bind(type(cell).construct, args, kwargs, True))


def _function_wrapper(fn, options):
    """A function with `fn`'s signature (so resolving it binds defaults as `fn` does)
    that runs the compiled primal when called with Tensors or arrays."""
    from .tensor import Tensor
    primal = Primal(None, options)

    def run(args):
        if not any(isinstance(a, (Tensor, np.ndarray)) for a in args):
            return fn(*args)              # nothing to compile against: plain Python
        out = primal(args)
        return out if any(isinstance(a, Tensor) for a in args) else _to_numpy(out)

    sig = inspect.signature(fn)
    names, text, defaults = [], [], []
    params = list(sig.parameters.values())
    for i, p in enumerate(params):
        if p.kind not in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            raise S2SGradError(f"@s2sgrad.jit: {fn.__qualname__} has *args, **kwargs or keyword-only arguments",
                               hint="list the arguments explicitly")
        part = p.name
        if p.default is not p.empty:
            part += f"=__defaults[{len(defaults)}]"
            defaults.append(p.default)
        text.append(part)
        names.append(p.name)
        if p.kind == p.POSITIONAL_ONLY and (i + 1 == len(params) or params[i + 1].kind != p.POSITIONAL_ONLY):
            text.append("/")
    src = (f"def {fn.__name__}({', '.join(text)}):\n"
           f"    return __run(({''.join(n + ', ' for n in names)}))\n")
    namespace = {"__run": run, "__defaults": tuple(defaults)}
    exec(src, namespace)
    wrapper = namespace[fn.__name__]
    functools.update_wrapper(wrapper, fn)
    primal.network = wrapper
    setattr(wrapper, ATTR, options)
    wrapper.gradient_source = lambda *args, **kw: gradient_source(wrapper, args, **kw)
    return wrapper


def _to_numpy(value):
    from .tensor import Tensor
    if isinstance(value, tuple):
        return tuple(_to_numpy(v) for v in value)
    return value._data if isinstance(value, Tensor) else value


# -- gradient source -------------------------------------------------------------------

def gradient_source(network, example_args, wrt="all", sens=False, target=None, standalone=False, cache=None):
    """The text `s2sgrad emit` writes for `network` at these example arguments."""
    from .emit import gradient_file
    options = options_of(network)
    return gradient_file(network, _arrays(example_args), wrt=wrt, sens=sens,
                         target=target or options.target or "cpu",
                         cache=options.cache if cache is None else cache, standalone=standalone).text


class _GradientSource:
    """`net.gradient_source(*example_args, wrt="all", sens=False, target=None, standalone=False)`;
    on the class, `Net.gradient_source(*example_args, init_args=(...))` builds an instance first."""

    def __get__(self, instance, owner):
        if instance is not None:
            return functools.partial(gradient_source_of_cell, instance)

        def from_class(*example_args, init_args=(), init_kwargs=None, **kw):
            return gradient_source_of_cell(owner(*init_args, **(init_kwargs or {})), *example_args, **kw)
        return from_class


def gradient_source_of_cell(cell, *example_args, **kw):
    return gradient_source(cell, example_args, **kw)
