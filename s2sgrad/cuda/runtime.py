"""The CUDA target's two entry points: `bind` (compile.py's backend registry) turns a
generated module into host functions that launch kernels, and `call` (grad.py's
device-call hook) runs a GradFunction with its Tensors and Parameters on the device.

`call` follows GradFunction.__call__ step for step; what differs is where data lives:
input Tensors and Parameters move to the device once (`residency`), constants once
per compiled program, and results come back as device-resident Tensors. Inside a
step nothing is copied between host and device, except a branch or loop condition
read back to the host (`host_bool`), which is counted like any other transfer."""
import numpy as np

from .. import parameter
from ..tensor import Tensor
from . import device as D
from . import kernels as K
from . import residency
from .fusion import DTYPE_NAMES, TEMPLATES
from .transform import Transformer


def host_bool(x):
    """A branch or loop condition: a device value is read back (a counted transfer)."""
    return bool(D.to_host(x).reshape(-1)[0]) if D.is_device(x) else bool(x)


def host_scalar(x):
    """A value stored on a host-side scalar tape."""
    return D.to_host(x).reshape(-1)[0] if D.is_device(x) else x


def host_int(x):
    return int(D.to_host(x).reshape(-1)[0]) if D.is_device(x) else int(x)


def _namespace():
    """Kernel name -> host function, for the generated code's non-elementwise calls."""
    from .. import backend as cpu
    ns = {name: fn for name, fn in cpu.NAMESPACE.items() if name in TEMPLATES or name in ("clip", "cast")}
    ns.update({name: getattr(np, name) for name in DTYPE_NAMES})
    names = ("fill", "zeros_like", "ones_like", "zeros", "ones", "full", "broadcast_to", "reshape",
             "expand_dims", "transpose", "first", "stop_gradient", "to_scalar", "trip_count", "sum_all",
             "sum_axis", "sum_axis_keep", "max_mid", "min_mid", "argmax_mid", "argmin_mid", "logsumexp_mid",
             "max_all", "min_all", "argmax_all", "argmin_all", "logsumexp_all", "cumsum_mid", "matmul", "matmul_nn",
             "matmul_tn", "matmul_nt", "matmul_tt", "bmm", "bmm_as",
             "outer", "softmax", "log_softmax", "softmax_cross_entropy", "sparse_softmax_cross_entropy",
             "one_hot", "gather_mid", "scatter_add_mid", "slice_mid", "unslice_mid", "concat2", "slice_get",
             "slice_add")
    ns.update({name: getattr(K, name) for name in names})
    ns["empty"] = K.empty_
    from .. import element_ops
    ns.update(List=list, host_bool=host_bool, host_int=host_int, host_scalar=host_scalar,
              tape_new=element_ops.tape_new, tape_push=element_ops.tape_push, tape_reserve=element_ops.tape_reserve)
    return ns


NAMESPACE = _namespace()
KERNEL_NAMES = {n for n in NAMESPACE if n not in TEMPLATES}


def bind(module, source, cache):
    """compile.py's bind for target "cuda": replace the module's entry points."""
    D.require_device()
    host_source, chains = Transformer(source, KERNEL_NAMES).run()
    ns = dict(NAMESPACE)
    ns.update(chains)
    filename = f"<s2sgrad cuda host {getattr(module, '__name__', '')}>"
    import linecache
    linecache.cache[filename] = (len(host_source), None, host_source.splitlines(True), filename)
    exec(compile(host_source, filename, "exec"), ns)
    for name in ("forward", "backward", "value_and_grad"):
        setattr(module, name, ns[name])
    module.cuda_host_source = host_source
    module.cuda_chains = chains


def source(obj):
    """The CUDA side of the last program `obj` (a ForwardValueAndGrad or GradFunction) ran:
    the host functions, then each fused chain with the kernels generated for it."""
    from ..grad import source as generated_source
    generated_source(obj)                    # raises the usual error when nothing ran yet
    grad = getattr(obj, "_grad", obj)
    module = grad.last.module
    if not hasattr(module, "cuda_host_source"):
        raise ValueError("this program was not compiled for the CUDA target")
    parts = [module.cuda_host_source]
    parts += [chain.listing() for chain in module.cuda_chains.values()]
    return "\n\n".join(parts)


def _stand_in(dev):
    """A host array with `dev`'s dtype and shape and no memory of its own: what the
    transpiler needs (abstract values) without copying the data back."""
    base = np.zeros(1, dev.dtype)
    return np.lib.stride_tricks.as_strided(base, shape=tuple(dev.shape), strides=(0,) * len(dev.shape),
                                           writeable=False)


def _on_device(value):
    """A call argument as the device sees it: Tensors move (once), 0-d become numbers."""
    if isinstance(value, Tensor):
        if isinstance(value, residency.DeviceResident) or value._data.ndim:
            return residency.to_device(value)
        return value._data[()]
    return value


def call(grad, args):
    """GradFunction.__call__ for the CUDA target (see the module docstring)."""
    D.require_device()
    if grad.sens_param:
        if not args:
            raise TypeError("construct() missing 1 required positional argument: the sens (sens_param=True)")
        inputs, sens = args[:-1], args[-1]
    else:
        inputs, sens = args, None
    devs = [_on_device(a) for a in inputs]
    shown = [_stand_in(d) if D.is_device(d) else (np.asarray(d) if isinstance(a, Tensor) else d)
             for a, d in zip(inputs, devs)]
    key = tuple([(a.dtype, a.shape) if isinstance(a, np.ndarray) else (type(a), a) for a in shown]) \
        + grad.training_flags()
    entry = grad._cache.get(key)
    if entry is None or entry.param_epoch != parameter.layout_epoch():
        entry = grad._cache[key] = grad._build(shown)
        entry.device_consts = [D.to_device(c) if isinstance(c, np.ndarray) and c.ndim else c for c in entry.consts]
    grad.last = entry
    values = [d for d, s in zip(devs, shown) if isinstance(s, np.ndarray)]
    values += [residency.to_device(p) if p.ndim else p._data[()] for p in entry.params]
    values += entry.device_consts
    values += entry.workspace
    if grad.sens_param:
        values.append(_sens(grad, sens, entry.out_aval))
    result = entry.fn(*values)
    out, grads, entry.workspace = result[:3]
    if getattr(entry, "state_params", None):
        for p, value in zip(entry.state_params, result[3]):
            _write_state(p, value)
    return entry.wrap_out(out), entry.structure(grads)


def _sens(grad, sens, aval):
    """The sens argument on the device: a resident Tensor of the right shape as it is,
    anything else through GradFunction's checks, then uploaded (counted)."""
    if isinstance(sens, residency.DeviceResident) and not isinstance(aval, tuple) \
            and tuple(sens.shape) == tuple(getattr(aval, "shape", ())) and sens.ndim:
        dev = residency.to_device(sens)
        return dev if dev.dtype == aval.dtype else K.gather_strided(dev, dev.shape, K.c_strides(dev.shape), aval.dtype)
    value = grad._sens(sens, aval)
    return _upload(value)


def _upload(value):
    if isinstance(value, tuple):
        return tuple(_upload(v) for v in value)
    return D.to_device(value) if isinstance(value, np.ndarray) and value.ndim else value


def _write_state(param, value):
    """A Parameter updated inside the program (ops.assign) takes its new device value."""
    if D.is_device(value):
        current = residency.to_device(param)
        if value.dtype != current.dtype:
            value = K.gather_strided(value, value.shape, K.c_strides(value.shape), current.dtype)
        param.__dict__["_dev"] = value
        param.__dict__["_host"] = None
    else:
        param.set_data(np.asarray(value))


def as_tensor(value, dtype):
    """grad.py's hook: a device array result becomes a device-resident Tensor."""
    if value.dtype != dtype:
        value = K.gather_strided(value, value.shape, K.c_strides(value.shape), dtype)
    return residency.device_tensor(value, Tensor)
