"""The call path of one compiled program, written out for its signature.

GradFunction's general path builds a key from every argument, looks the program up,
then assembles the argument list and the results with loops and closures: about as
much time as a small compiled program itself (W1). Once a program has run, its
GradFunction calls this function first: the same checks (the inputs' dtypes and
shapes, non-Tensor arguments' values, the cells' training flags, the Parameters'
layout) and the same steps, unrolled for this one signature. Anything it does not
recognise returns None, and the general path takes over."""
import os

import numpy as np

from . import parameter
from .tensor import Tensor

# (is_device_value, to_tensor) pairs turning device results into Tensors (s2sgrad.cuda
# registers one on import).
DEVICE_TENSORS = []


def fast_path(grad, entry, inputs, flags):
    """A function args -> result, or None (use the general path) when this signature
    has something the unrolled path does not handle. inputs: the call's inputs (Tensors
    or constants); flags: the training flags in the program's key."""
    lines, env = [], {"Tensor": Tensor, "ndarray": np.ndarray, "EPOCH": parameter._layout_epoch,
                      "FLAGS": grad.training_flags, "F": flags, "E": entry.param_epoch, "entry": entry,
                      "FN": entry.fn, "failed": failed, "WRAP": entry.wrap_out, "STRUCTURE": entry.structure}
    n = len(inputs) + (1 if grad.sens_param else 0)
    lines.append(f"if len(args) != {n}:\n    return None")
    values = []
    for i, x in enumerate(inputs):
        if type(x) is Tensor and type(x._data) is np.ndarray:
            env[f"D{i}"], env[f"S{i}"] = x._data.dtype, x._data.shape
            lines.append(f"x{i} = args[{i}]\n"
                         f"if type(x{i}) is not Tensor:\n    return None\n"
                         f"a{i} = x{i}._data\n"
                         f"if type(a{i}) is not ndarray or a{i}.dtype is not D{i} or a{i}.shape != S{i}:\n"
                         f"    return None")
            values.append(f"a{i}" if x._data.ndim else f"a{i}[()]")
        elif isinstance(x, (bool, int, float, str, type(None))):
            env[f"T{i}"], env[f"V{i}"] = type(x), x
            lines.append(f"if type(args[{i}]) is not T{i} or args[{i}] != V{i}:\n    return None")
        else:
            return None                           # raw arrays, device values, ...: the general path
    lines.append("if EPOCH[0] != E or FLAGS() != F:\n    return None")
    for j, p in enumerate(entry.params):
        env[f"P{j}"] = p
        values.append(f"P{j}._data" if p._data.ndim else f"P{j}._data[()]")
    for j in range(len(entry.consts)):
        values.append(f"entry.consts[{j}]")
    values.append("*entry.workspace")
    if grad.sens_param:
        env["SENS"], env["OUT"] = grad._sens, entry.out_aval
        values.append(f"SENS(args[{n - 1}], OUT)")
    # the compiled call itself, as `run` makes it but without its frame and argument tuple
    lines.append(f"try:\n    result = FN({', '.join(values)})\nexcept Exception as exc:\n    failed(entry, exc)")
    lines.append("entry.workspace = result[2]")
    if entry.state_params:
        from . import state
        env["write"], env["STATE"] = state.write, entry.state_params
        lines.append("write(STATE, result[3])")
    lines.append("return WRAP(result[0]), STRUCTURE(result[1])")
    body = "\n".join("    " + line for text in lines for line in text.split("\n"))
    exec(compile(f"def fast(args):\n{body}\n", "<s2sgrad call path>", "exec"), env)
    return env["fast"]


def structure_of(grad, entry, n_inputs):
    """A function from the compiled gradient tuple to MindSpore's output structure:
    (input grads), (weight grads), both, or the first input's grad alone. Each gradient
    that comes back as an array of its dtype (the usual case) is wrapped inline, without
    tensor_of's call (W1 wraps three gradients a call)."""
    env = {"T": tensor_of, "zeros": zero_tensor, "Tensor": Tensor, "ndarray": np.ndarray, "new": _new_object}
    body = []

    def tensor(slot):
        """A new Tensor of gradient `slot` (one per occurrence, as a weight may be listed twice)."""
        t = f"t{len(body)}"
        env[f"G{slot}"] = np.dtype(entry.grad_dtypes[slot])
        body.append(f"v = g[{slot}]\n"
                    f"if type(v) is ndarray and v.dtype == G{slot}:\n"
                    f"    {t} = new(Tensor)\n    {t}._data = v\n"
                    f"else:\n    {t} = T(v, G{slot})")
        return t
    inputs = [tensor(i) for i in range(n_inputs)]
    weights = []
    for j, (w, slot) in enumerate(zip(grad.weights, entry.weight_slots)):
        if slot is None:                       # not a Parameter of the network, or frozen
            env[f"W{j}"] = w
            weights.append(f"zeros(W{j})")
        else:
            weights.append(tensor(slot))
    tuple_of = lambda items: f"({', '.join(items)}{',' if len(items) == 1 else ''})"
    if grad.get_all and grad.get_by_list:
        expr = f"({tuple_of(inputs)}, {tuple_of(weights)})"
    elif grad.get_all:
        expr = tuple_of(inputs)
    elif grad.get_by_list:
        expr = tuple_of(weights)
    else:
        expr = inputs[0] if inputs else "()"
    lines = "".join(f"    {line}\n" for text in body for line in text.split("\n"))
    exec(compile(f"def structure(g):\n{lines}    return {expr}\n", "<s2sgrad gradient structure>", "exec"), env)
    return env["structure"]


def tensor_of(value, dtype):
    """A compiled result as a Tensor of the gradient's dtype (a scalar comes back as a float)."""
    if type(value) is not np.ndarray or not (value.dtype is dtype or value.dtype == dtype):
        for is_device, to_tensor in DEVICE_TENSORS:      # a device result stays on its device
            if is_device(value):
                return to_tensor(value, dtype)
        value = np.asarray(value, dtype=dtype)
    tensor = _new_object(Tensor)
    tensor._data = value
    return tensor


def zero_tensor(weight):
    return Tensor._from_array(np.zeros_like(weight._data))


_new_object = object.__new__


def run(entry, values):
    """The compiled call; Numba's errors become a CompileError that names the user's line."""
    try:
        return entry.fn(*values)
    except Exception as exc:
        failed(entry, exc)


def failed(entry, exc):
    """Raise what the compiled call raised, Numba's errors as a CompileError at the user's line."""
    if from_numba(exc):
        raise entry.compile_error(exc) from None
    raise exc


def from_numba(exc):
    """Whether Numba raised exc while compiling: one of its errors, or an assertion of its own
    failing (the innermost frame in Numba's source)."""
    if type(exc).__module__.startswith("numba"):
        return True
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return tb is not None and f"{os.sep}numba{os.sep}" in tb.tb_frame.f_code.co_filename
