"""Compile every CUDA kernel the simulator tests launch to PTX for a real GPU, without a GPU.

Numba's CUDA simulator runs kernels as Python, so it never type-checks them the way
the CUDA compiler does: a kernel can pass every simulator test and still fail to
compile on a real device. This check closes that gap where no GPU is lent:

1. record (child process, NUMBA_ENABLE_CUDASIM=1): run tests/test_cuda_sim.py and
   note each kernel launch: which kernel (a module-level kernel of s2sgrad.cuda, one
   made by a cached kernel factory, or a generated fused kernel with its source) and
   the Numba types of its arguments;
2. compile (this process, real numba-cuda): rebuild each kernel from its origin with
   the real launch configuration constants (tile sizes etc.) and compile it with
   `numba.cuda.compile_ptx` for the chosen compute capability.

Needs numba-cuda and NVIDIA's compiler libraries, which install from PyPI without a
driver or a GPU:

    pip install numba-cuda nvidia-cuda-nvcc-cu12 nvidia-cuda-nvrtc-cu12
    python tools/cuda_ptx_check.py [--cc 9.0] [-k pytest-expression]

Prints one line per distinct kernel signature that fails and a summary; exit 1 when
any fails. Runtime behaviour (results, launch geometry, speed) still needs a GPU:
tools/gpu_check.sh.
"""
import argparse
import importlib
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# -- 1. record, in a child process under the simulator ---------------------------------

def arg_spec(value):
    """A JSON description of a launch argument's Numba type."""
    import numpy as np
    array = getattr(value, "_ary", value)            # the simulator's device arrays wrap an ndarray
    if isinstance(array, np.ndarray):
        layout = "C" if array.flags.c_contiguous else "F" if array.flags.f_contiguous else "A"
        return ["array", array.dtype.str, array.ndim, layout]
    if isinstance(value, tuple):
        return ["tuple", [arg_spec(v) for v in value]]
    if isinstance(value, bool):
        return ["scalar", "?"]
    if isinstance(value, int):
        return ["scalar", "<i8"]
    if isinstance(value, float):
        return ["scalar", "<f8"]
    if isinstance(value, np.generic):
        return ["scalar", value.dtype.str]
    raise TypeError(f"unrecognised kernel argument {type(value).__name__}")


def record(out_path, pytest_args):
    os.environ["NUMBA_ENABLE_CUDASIM"] = "1"
    import pytest
    from numba.cuda.simulator import kernel as sim
    from s2sgrad.cuda import fusion
    import s2sgrad.cuda.kernels as lib

    origins = {}                                      # id(python function) -> origin
    for module in (lib, fusion):
        for name, obj in vars(module).items():
            if isinstance(obj, sim.FakeCUDAKernel) and not obj._device:
                origins[id(obj.fn)] = ["lib", module.__name__, name]
            elif hasattr(obj, "cache_info") and callable(obj):       # a cached kernel factory
                def factory(*args, _make=obj, _where=[module.__name__, name]):
                    kernel = _make(*args)
                    origins[id(kernel.fn)] = ["factory", *_where, list(args)]
                    return kernel
                setattr(module, name, factory)
    compile_kernel = fusion._compile_kernel

    def fused(src, name):
        kernel = compile_kernel(src, name)
        origins[id(kernel.fn)] = ["fused", src, name]
        return kernel
    fusion._compile_kernel = fused

    seen = {}
    call = sim.FakeCUDAKernel.__call__

    def launch(self, *args):
        if not (self._device or sim._kernel_context):
            origin = origins.get(id(self.fn), ["unknown", getattr(self.fn, "__qualname__", "?")])
            entry = {"origin": origin, "args": [arg_spec(a) for a in args]}
            seen.setdefault(json.dumps(entry, sort_keys=True), entry)
        return call(self, *args)
    sim.FakeCUDAKernel.__call__ = launch

    code = pytest.main(["-q", "-n", "0", "-p", "no:cacheprovider", os.path.join(ROOT, "tests", "test_cuda_sim.py")]
                       + pytest_args)
    with open(out_path, "w") as f:
        json.dump({"pytest_exit": int(code), "launches": list(seen.values())}, f)


# -- 2. compile, in this process with the real numba.cuda ------------------------------

def numba_type(spec):
    import numpy as np
    from numba import from_dtype, types
    kind = spec[0]
    if kind == "array":
        _, dtype, ndim, layout = spec
        return types.Array(from_dtype(np.dtype(dtype)), ndim, layout)
    if kind == "tuple":
        return types.Tuple([numba_type(s) for s in spec[1]])
    return types.boolean if spec[1] == "?" else from_dtype(np.dtype(spec[1]))


def kernel_function(origin):
    kind = origin[0]
    if kind == "lib":
        return getattr(importlib.import_module(origin[1]), origin[2]).py_func
    if kind == "factory":
        return getattr(importlib.import_module(origin[1]), origin[2])(*origin[3]).py_func
    if kind == "fused":
        from s2sgrad.cuda import fusion
        return fusion._compile_kernel(origin[1], origin[2]).py_func
    raise ValueError(f"a kernel launched from outside s2sgrad.cuda: {origin[1]}")


def describe(origin):
    if origin[0] == "fused":
        return f"fused kernel {origin[2]}"
    if origin[0] == "factory":
        return f"{origin[1]}.{origin[2]}{tuple(origin[3])}"
    return ".".join(origin[1:3])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cc", default="9.0", help="compute capability to compile for (9.0: H100/H200)")
    parser.add_argument("-k", help="pytest -k expression selecting the simulator tests")
    parser.add_argument("--record", help=argparse.SUPPRESS)     # internal: the child's output file
    opts = parser.parse_args()
    pytest_args = ["-k", opts.k] if opts.k else []
    if opts.record:
        record(opts.record, pytest_args)
        return 0
    os.environ.pop("NUMBA_ENABLE_CUDASIM", None)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "launches.json")
        subprocess.run([sys.executable, os.path.abspath(__file__), "--record", path] + pytest_args,
                       check=True, env={**os.environ, "NUMBA_ENABLE_CUDASIM": "1"}, stdout=sys.stderr)
        with open(path) as f:
            recorded = json.load(f)
    if recorded["pytest_exit"] != 0:
        print(f"the simulator tests failed (pytest exit {recorded['pytest_exit']}): fix them first")
        return 1
    from numba import cuda
    from numba.cuda import dispatcher
    cc = tuple(int(p) for p in opts.cc.split("."))

    class NoDevice:          # device functions ask the current device for its capability
        compute_capability = cc
    dispatcher.get_current_device = NoDevice
    failures, kernels = [], set()
    for entry in recorded["launches"]:
        origin = entry["origin"]
        kernels.add(json.dumps(origin))
        sig = tuple(numba_type(s) for s in entry["args"])
        try:
            cuda.compile_ptx(kernel_function(origin), sig, cc=cc)
        except Exception as exc:                     # report every failure, then exit 1
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            failures.append(f"{describe(origin)} {sig}: {type(exc).__name__}: {first[:300]}")
    for line in failures:
        print("FAIL", line)
    print(f"{len(recorded['launches']) - len(failures)} of {len(recorded['launches'])} launch signatures "
          f"({len(kernels)} kernels) compiled to PTX for compute capability {opts.cc}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
