"""The namespace generated code imports from: every kernel by its primitive's name,
the helper kernels that lowerings call, and the typed list used for tapes. The same
names serve the `python` backend (plain calls) and the `cpu` backend (Numba compiles
the calls, every kernel being register_jitable)."""
import inspect

from numba.typed import List

from . import element_ops, kernels, kernels_conv, kernels_norm

NAMESPACE = {name: fn for module in (kernels, kernels_conv, kernels_norm) for name, fn in vars(module).items()
             if inspect.isfunction(fn) and fn.__module__ == module.__name__ and not name.startswith("_")}
NAMESPACE.update(element_ops.KERNELS)
NAMESPACE["List"] = List
globals().update(NAMESPACE)
