"""State updates: how `ops.assign(param, value)` (MindSpore's Assign) works in a
compiled program whose forward is a pure function.

MindSpore updates BatchNorm's moving_mean / moving_variance by assigning to the
Parameters inside construct. s2sgrad keeps the generated code pure instead:

1. resolve: `ops.assign(self.p, value)` does not become a kernel call. The resolver
   binds `value` to a name, records (name, p) as a state update, and makes later
   reads of `self.p` in the same program see that name (assigning twice chains).
   An assignment inside a runtime `if`/loop is refused: the name must exist at the
   end of the forward.
2. normalize keeps those names alive (they feed no output).
3. codegen: only when a program has state updates, `forward` returns a third value,
   the tuple of new values, and `value_and_grad` passes it on as its fourth result.
   Programs without assignments generate byte-for-byte the same code as before.
4. GradFunction writes the new values into the Parameters' own arrays (in place, so
   views the user holds see them) after the compiled call returns.

Eagerly (PyNative), `ops.assign` writes into the Parameter directly.
"""
import numpy as np

from .errors import ShapeError


def check(updates, avals):
    """Each assigned value must have its Parameter's shape, and a dtype it casts to
    safely (same kind); raise ShapeError at the assignment otherwise. `updates`:
    (value name, Parameter, location) from resolve."""
    for name, param, loc in updates:
        aval = avals.get(name)
        shape = getattr(aval, "shape", ())
        dtype = getattr(aval, "dtype", np.result_type(aval) if aval is not None else None)
        if tuple(shape) != param._data.shape or not np.can_cast(dtype, param._data.dtype, "same_kind"):
            raise ShapeError(f"ops.assign: Parameter '{param.name}' has shape {list(param._data.shape)} and dtype "
                             f"{param._data.dtype}, but the assigned value is {aval!r}", loc,
                             "assign a value of the Parameter's shape and dtype")


def write(params, values):
    """Copy the program's new values into the Parameters' arrays."""
    for param, value in zip(params, values):
        np.copyto(param._data, value, casting="same_kind")
