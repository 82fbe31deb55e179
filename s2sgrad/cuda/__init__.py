"""The CUDA target: the same generated forward/backward pair, run on a GPU.

    ms.set_context(device_target="GPU")      # or @s2sgrad.jit(target="cuda")
    loss, grads = nn.ForwardValueAndGrad(net, weights, get_by_list=True)(x, y)

The generated source is rewritten (`transform.py`): each run of elementwise
statements becomes one fused @cuda.jit kernel (`fusion.py`), the other kernel calls
launch the kernels of `kernels.py`, and the host Python that remains only launches.
Tensors and Parameters live on the device between calls (`residency.py`); every
host<->device copy is counted (`transfer_stats()`). Element-level code (indexing,
scalar loops) is refused with the user's line: it belongs on the CPU target.

Needs numba's CUDA support (`pip install s2sgrad[cuda]`: numba-cuda) and a GPU, or
the simulator: NUMBA_ENABLE_CUDASIM=1 set before numba is imported."""
import importlib

from .. import compile as _compile
from .. import fastcall as _fastcall
from .device import SIMULATOR, reset_transfer_stats, transfer_stats
from .runtime import bind, call, source, as_tensor
from .transform import ElementLevelError

_grad = importlib.import_module("s2sgrad.grad")    # the module (s2sgrad.grad may name a function)
_compile.register_backend("cuda", bind)
_grad.DEVICE_CALLS["cuda"] = call
_fastcall.DEVICE_TENSORS.append((lambda v: _is_device(v), as_tensor))


def _is_device(value):
    from .device import is_device
    return is_device(value)


__all__ = ["SIMULATOR", "transfer_stats", "reset_transfer_stats", "source", "ElementLevelError"]
