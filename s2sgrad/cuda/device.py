"""The device: numba.cuda (real, or its simulator under NUMBA_ENABLE_CUDASIM=1),
counted host<->device transfers, allocation and launch sizes.

Every copy between host and device goes through `to_device` / `to_host`, which
count it in `STATS`: tests assert that a training step makes none."""
import math

import numpy as np

from numba import cuda

SIMULATOR = cuda.jit.__module__.startswith("numba.cuda.simulator")

# Launch geometry. The simulator runs every device thread as a Python thread, so it
# gets tiny blocks; the kernels are written for any sizes (grid-stride loops, tiles).
THREADS = 4 if SIMULATOR else 256          # threads per block, 1-d kernels
MAX_BLOCKS = 1 if SIMULATOR else 4096
TILE = 4 if SIMULATOR else 16              # matmul tile edge (TILE x TILE threads per block)
REDUCE_THREADS = 2 if SIMULATOR else 256   # threads per block in block-per-output reductions
SMALL_OUTPUT = 4 if SIMULATOR else 512     # fewer outputs than this: one block per output

STATS = {"to_device": 0, "to_host": 0, "bytes_to_device": 0, "bytes_to_host": 0}


def transfer_stats():
    """A copy of the transfer counters (copies and bytes, each direction)."""
    return dict(STATS)


def reset_transfer_stats():
    for k in STATS:
        STATS[k] = 0


def to_device(arr):
    """A counted host -> device copy of a NumPy array (made C-contiguous first)."""
    arr = np.ascontiguousarray(arr)
    STATS["to_device"] += 1
    STATS["bytes_to_device"] += arr.nbytes
    return cuda.to_device(arr)


def to_host(dev):
    """A counted device -> host copy; the result is a fresh NumPy array."""
    STATS["to_host"] += 1
    STATS["bytes_to_host"] += dev.size * dev.dtype.itemsize
    return np.array(dev.copy_to_host(), copy=True)


if SIMULATOR:
    from numba.cuda.simulator.cudadrv.devicearray import FakeCUDAArray as _DeviceArray
else:
    from numba.cuda.cudadrv.devicearray import DeviceNDArray as _DeviceArray
_DEVICE_ARRAY_TYPES = (_DeviceArray,)


_available = []


def require_device():
    """A clear error where there is no GPU (and no simulator) instead of a driver traceback."""
    from ..errors import S2SGradError
    if _available:
        return
    try:
        ok = cuda.is_available()
    except Exception:                      # pragma: no cover - a broken driver install
        ok = False
    if not ok:
        raise S2SGradError("the CUDA target needs an NVIDIA GPU with its driver, and numba.cuda finds none",
                           hint="use target=\"cpu\" (device_target=\"CPU\"), or set NUMBA_ENABLE_CUDASIM=1 "
                                "before importing numba to run on Numba's CUDA simulator")
    _available.append(True)


def is_device(x):
    return isinstance(x, _DEVICE_ARRAY_TYPES)


def empty(shape, dtype):
    return cuda.device_array(tuple(int(s) for s in shape), np.dtype(dtype))


def blocks_for(n, threads=None):
    threads = threads or THREADS
    return max(1, min(MAX_BLOCKS, math.ceil(n / threads)))


def flat(dev):
    """A 1-d view of a C-contiguous device array (0-d arrays as one element)."""
    if dev.ndim == 1:
        return dev
    return dev.reshape(max(dev.size, 1)) if dev.size else dev.reshape(0)


def view(dev, shape):
    """The same contiguous device memory seen with another shape of the same size."""
    shape = tuple(int(s) for s in shape)
    if tuple(dev.shape) == shape:
        return dev
    if shape == ():                 # a device-side copy of the one element (not a transfer)
        from . import kernels
        return kernels.first(dev)
    if dev.ndim == 0:
        dev = dev.reshape(1)
    return dev.reshape(*shape)
