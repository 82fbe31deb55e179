"""Stage 7, compile: load generated source as a module and bind it to a backend.

Backends form a registry: `register_backend(name, bind, fuse)` adds one, where
`bind(module, source, cache)` replaces the module's `forward`, `backward` and
`value_and_grad` with callables for that target, and `fuse` says whether it compiles
the text with elementwise runs fused into loop nests (elementwise_loops.py). Built in:
`cpu` (numba.njit, Numba's disk cache on when caching is, loaded the light way
warm_start.py describes; fused) and `python` (the
same source as plain NumPy). `cuda` is looked up in `s2sgrad.cuda`, which registers
itself on import (and fuses its own chains into kernels).

With caching on, the source goes to the disk cache (`S2SGRAD_CACHE_DIR`, else
~/.cache/s2sgrad) and is imported from there; with caching off (`cache=False`, or
`S2SGRAD_CACHE=0` in the environment) nothing is written to disk: the module is
compiled from memory and its source registered with `linecache` for tracebacks."""
import dis
import functools
import hashlib
import importlib
import importlib.util
import linecache
import os
import sys
import tempfile
import threading
import types
from pathlib import Path

from .errors import S2SGradError

_BACKENDS = {}
_FUSED = set()           # targets that compile the fused text
_modules = {}
_lock = threading.Lock()
ENTRY_POINTS = ("forward", "backward", "value_and_grad")
# Targets provided by a module of their own, imported the first time they are asked for.
_PROVIDERS = {"cuda": "s2sgrad.cuda"}


def register_backend(name, bind, fuse=False):
    """Make target `name` available: `bind(module, source, cache)` compiles the module's entry
    points; fuse: it is given the text with elementwise runs as loop nests."""
    _BACKENDS[name] = bind
    (_FUSED.add if fuse else _FUSED.discard)(name)


def fuses(name):
    """Whether target `name` compiles the fused text."""
    get_backend(name)
    return name in _FUSED


def backends():
    """Names of the targets available now (providers not yet imported are not listed)."""
    return tuple(_BACKENDS)


def known_targets():
    """Every target name s2sgrad knows, available or not."""
    return tuple(dict.fromkeys(tuple(_BACKENDS) + tuple(_PROVIDERS)))


def get_backend(name):
    """The bind function of target `name`, importing its provider on first use."""
    if name not in _BACKENDS and name in _PROVIDERS:
        try:
            importlib.import_module(_PROVIDERS[name])
        except ImportError as exc:
            if getattr(exc, "name", None) != _PROVIDERS[name]:
                raise S2SGradError(f"the {name.upper()} target is not available: importing "
                                   f"{_PROVIDERS[name]} failed ({exc})",
                                   hint="use target='cpu', or install what the message names") from None
    bind = _BACKENDS.get(name)
    if bind is None:
        if name in _PROVIDERS:
            raise S2SGradError(f"the {name.upper()} target is not available in this installation of s2sgrad",
                               hint="use target='cpu' (or 'python' to run the generated code uncompiled)")
        raise S2SGradError(f"unknown target {name!r}", hint=f"choose one of {', '.join(known_targets())}")
    return bind


@functools.lru_cache(maxsize=None)
def kernels_fingerprint():
    """A hash of the kernels generated code calls (and of numba's version). Numba's cache
    checks only the generated file itself, so a changed kernel must change the key."""
    import numba
    from . import backend
    digest = hashlib.sha256(numba.__version__.encode())
    modules = {fn.__module__ for fn in backend.NAMESPACE.values() if hasattr(fn, "__module__")}
    # the cpu backend's List, and the code kernels get at their call sites (inline_kernels.py)
    for module in sorted(modules | {"numba.typed.typedlist", "s2sgrad.blas", "s2sgrad.inline_kernels"}):
        loaded = sys.modules.get(module)
        path = loaded.__file__ if loaded is not None else importlib.util.find_spec(module).origin
        if path and path.endswith(".py"):
            digest.update(Path(path).read_bytes())
    return digest.hexdigest()[:16]


def cache_enabled(cache=True):
    """False when `cache` is False or the environment says S2SGRAD_CACHE=0 (or false/no/off)."""
    env = os.environ.get("S2SGRAD_CACHE", "1").strip().lower()
    return bool(cache) and env not in ("0", "false", "no", "off")


def cache_dir():
    """`S2SGRAD_CACHE_DIR`, else ~/.cache/s2sgrad."""
    path = Path(os.environ.get("S2SGRAD_CACHE_DIR") or Path.home() / ".cache" / "s2sgrad")
    path.mkdir(parents=True, exist_ok=True)
    return path


def _write_atomically(path, text):
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".py")
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def _module_from_disk(source, key, name):
    path = cache_dir() / f"s2s_{key}.py"
    try:
        if path.read_text() != source:     # a corrupted or foreign entry is rebuilt, never trusted
            _write_atomically(path, source)
    except (OSError, UnicodeDecodeError):
        _write_atomically(path, source)
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _module_from_memory(source, key, name):
    filename = f"<s2sgrad generated {key}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    mod = types.ModuleType(name)
    mod.__file__ = filename
    exec(compile(source, filename, "exec"), mod.__dict__)
    return mod


def load(source, backend="cpu", cache=True):
    """A module object holding the compiled `forward`, `backward`, `value_and_grad`."""
    bind = get_backend(backend)
    cache = cache_enabled(cache)
    key = hashlib.sha256((kernels_fingerprint() + source).encode()).hexdigest()[:24]
    with _lock:
        mod = _modules.get((key, backend))
        if mod is not None:
            return mod
        name = f"s2sgrad_generated_{key}_{backend}"
        mod = (_module_from_disk if cache else _module_from_memory)(source, key, name)
        sys.modules[name] = mod
        bind(mod, source, cache)
        _modules[(key, backend)] = mod
        return mod


def _bind_cpu(module, source, cache):
    import numba
    from . import warm_start
    from .heap import keep_freed_memory
    keep_freed_memory()                   # temporaries reuse heap memory, not fresh pages
    if hasattr(module, "List"):           # array tapes: numba's typed list (backend.List is Python's)
        from numba.typed import List
        module.List = List
    # forward and backward are inlined into value_and_grad at Numba's IR level: one
    # compilation instead of three (each costs seconds of type inference and LLVM)
    # except a forward called with more than 30 arguments (many Parameters or tapes):
    # CPython compiles that call as `forward(*args)`, which Numba calls but cannot inline
    spread = any(ins.opname == "CALL_FUNCTION_EX" for ins in dis.get_instructions(module.value_and_grad))
    inline = {"forward": "never" if spread else "always", "backward": "always", "value_and_grad": "never"}
    for fname, how in inline.items():
        dispatcher = numba.njit(inline=how)(getattr(module, fname))
        if cache and hasattr(dispatcher, "py_func"):    # njit(cache=True)'s disk cache, lighter to load
            dispatcher._cache = warm_start.cache_of(dispatcher.py_func)   # (NUMBA_DISABLE_JIT: no dispatcher)
        setattr(module, fname, dispatcher)


def _bind_python(module, source, cache):
    """Nothing to do: the generated source runs as it is, calling the kernels as Python."""


register_backend("cpu", _bind_cpu, fuse=True)
register_backend("python", _bind_python)
