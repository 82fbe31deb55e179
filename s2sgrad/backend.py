"""The namespace generated code imports from: every kernel by its primitive's name,
the helper kernels that lowerings call, and the list used for array tapes. The same
names serve the `python` backend (plain calls) and the `cpu` backend (Numba compiles
the calls, every kernel being register_jitable)."""
import inspect

from . import element_ops, kernels, kernels_conv, kernels_norm

NAMESPACE = {name: fn for module in (kernels, kernels_conv, kernels_norm) for name, fn in vars(module).items()
             if inspect.isfunction(fn) and fn.__module__ == module.__name__ and not name.startswith("_")}
NAMESPACE.update(element_ops.KERNELS)
globals().update(NAMESPACE)

# Array tapes: a Python list here, which is what the `python` backend runs; the `cpu`
# backend binds numba's typed List in its place (compile._bind_cpu), so that importing
# numba.typed is not paid by programs that never compile.
List = list
