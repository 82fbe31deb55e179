"""Stage 7, compile: load generated source as a module from the disk cache and
bind it to a backend: `cpu` njit's forward, backward and value_and_grad (Numba's
own cache on), `python` runs the same source as plain NumPy."""
import hashlib
import importlib.util
import os
import sys
import tempfile
import threading
from pathlib import Path

BACKENDS = ("cpu", "python")
_modules = {}
_lock = threading.Lock()


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


def load(source, backend="cpu"):
    """A module object holding the compiled `forward`, `backward`, `value_and_grad`."""
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; choose one of {BACKENDS}")
    key = hashlib.sha256(source.encode()).hexdigest()[:24]
    with _lock:
        mod = _modules.get((key, backend))
        if mod is not None:
            return mod
        path = cache_dir() / f"s2s_{key}.py"
        try:
            if path.read_text() != source:     # a corrupted or foreign entry is rebuilt, never trusted
                _write_atomically(path, source)
        except (OSError, UnicodeDecodeError):
            _write_atomically(path, source)
        name = f"s2sgrad_generated_{key}_{backend}"
        spec = importlib.util.spec_from_file_location(name, path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        sys.modules[name] = mod
        if backend == "cpu":
            import numba
            for fname in ("forward", "backward", "value_and_grad"):
                setattr(mod, fname, numba.njit(cache=True)(getattr(mod, fname)))
        _modules[(key, backend)] = mod
        return mod
