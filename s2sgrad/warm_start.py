"""What the first call of a program already in the disk cache skips in a new process.

Numba pays two costs there that loading compiled code does not need (W1's warm start,
measured in new processes: 0.2-0.3 s each):

- Before loading a cached function, Numba refreshes its whole target context: it imports
  and registers every implementation it has (numba.np.*, typed containers, ...) for
  typing and lowering that a load does not do. `cache_of(py_func)` is a cache for our
  dispatchers that readies only what linking cached code needs: the symbols Numba adds
  to LLVM's table lazily, which are the runtime's (NRT) and the hash secrets
  (numba.cpython.hashing); the C helpers and math functions are added when the context
  is made. A cache miss compiles as before, and compiling refreshes the context itself.
- Numba's BLAS wrapper (numba_xxgemm, which blas.lower_gemm calls) finds dgemm by
  importing scipy.linalg.cython_blas at its first call, which runs all of scipy.linalg's
  package init. `blas_alone()` loads that one extension module from its file for the
  duration of a first call, and takes it out of sys.modules afterwards, so a later
  `import scipy.linalg` is the usual one; Numba keeps the function pointers it found.
"""
import contextlib
import importlib.machinery
import importlib.util
import os
import re
import sys

from numba.core.caching import FunctionCache

_CYTHON_BLAS = "scipy.linalg.cython_blas"
# the kernels that reach BLAS (blas.py, kernels.py, kernels_conv.py); one missed here only
# costs its first call scipy.linalg's import
_BLAS_CALLS = re.compile(r"\b(?:matmul\w*|x?gemm|bmm\w*|conv2d\w*)\(")


def calls_blas(source):
    """Whether a generated text calls a kernel that calls BLAS."""
    return _BLAS_CALLS.search(source) is not None


class _LoadingCache(FunctionCache):
    def load_overload(self, sig, target_context):
        from numba.core.runtime import rtsys
        import numba.cpython.hashing  # noqa: F401  (adds the hash secrets' symbols)
        rtsys.initialize(target_context)
        with self._guard_against_spurious_io_errors():
            return self._load_overload(sig, target_context)


def cache_of(py_func):
    """Numba's disk cache for `py_func` (what `njit(cache=True)` makes) that loads without
    refreshing the target context."""
    return _LoadingCache(py_func)


def _cython_blas_alone():
    """scipy.linalg.cython_blas loaded from its file without scipy.linalg's package init,
    or None where SciPy is missing or laid out otherwise."""
    try:
        spec = importlib.util.find_spec("scipy")
        folder = os.path.join(spec.submodule_search_locations[0], "linalg")
        for suffix in importlib.machinery.EXTENSION_SUFFIXES:
            path = os.path.join(folder, "cython_blas" + suffix)
            if os.path.exists(path):
                spec = importlib.util.spec_from_file_location(_CYTHON_BLAS, path)
                module = importlib.util.module_from_spec(spec)
                spec.loader.exec_module(module)
                return module
    except Exception:       # Numba's own import then finds it, or says what is missing
        return None
    return None


@contextlib.contextmanager
def blas_alone(uses_blas):
    """Around a program's first call: scipy.linalg.cython_blas in sys.modules without
    scipy.linalg, where the program calls BLAS and nothing has imported it yet."""
    if not uses_blas or _CYTHON_BLAS in sys.modules:
        yield
        return
    module = _cython_blas_alone()
    if module is not None:
        sys.modules.setdefault(_CYTHON_BLAS, module)
    try:
        yield
    finally:
        if module is not None and sys.modules.get(_CYTHON_BLAS) is module:
            package = sys.modules.get("scipy.linalg")
            if package is None:          # nothing else imported it meanwhile: as it was
                del sys.modules[_CYTHON_BLAS]
            else:                        # scipy.linalg came meanwhile: as its import leaves it
                package.cython_blas = module
