"""How the forms users write map onto the primitive table.

Operators, MindSpore primitive objects (`ops.MatMul(transpose_b=True)`), functional
ops (`ops.relu`), NumPy functions (`np.exp`) and Tensor methods (`x.sum(1)`) each
become an `OpSpec`: a primitive name plus how the call's arguments bind to the
primitive's operands and static attributes. `resolve` and eager execution both
read this module, so a form behaves the same compiled and eager.
"""
from dataclasses import dataclass, field

import operator

import gast
import numpy as np

from . import primitives as P


@dataclass(frozen=True)
class OpSpec:
    prim: str
    params: tuple = ()          # call-time static arguments after the operands: (user name, attr name)
    defaults: dict = field(default_factory=dict)   # attr name -> default
    fixed: dict = field(default_factory=dict)      # attr name -> value set by the op's __init__
    output: int = None          # select one output of a multi-output primitive
    variadic: str = None        # attr collecting extra positional args (x.reshape(2, 3))
    derive: object = None       # attrs -> attrs computed from others (OneHot's dtype from on_value)

    @property
    def primitive(self):
        return P.TABLE[self.prim]

    def bind(self, args, kwargs, what):
        """Split a call's arguments into operands and a dict of attributes.
        `args`/`kwargs` are opaque values; raises TypeError with a user-facing message."""
        n_in = self.primitive.n_in
        if len(args) < n_in:
            raise TypeError(f"{what} takes {n_in} tensor argument(s), got {len(args)}")
        operands, rest = list(args[:n_in]), list(args[n_in:])
        attrs = dict(self.defaults)
        if self.variadic and rest:
            attrs[self.variadic] = rest[0] if len(rest) == 1 else tuple(rest)
            rest = []
        if len(rest) > len(self.params):
            raise TypeError(f"{what} got {len(args)} positional arguments, expected at most "
                            f"{n_in + len(self.params)}")
        for (user, attr), value in zip(self.params, rest):
            attrs[attr] = value
        by_user = dict(self.params)
        for key, value in kwargs.items():
            if key not in by_user:
                raise TypeError(f"{what} got an unexpected keyword argument '{key}'")
            attrs[by_user[key]] = value
        attrs.update(self.fixed)
        if self.derive is not None:
            attrs.update(self.derive(attrs))
        missing = [a for a in self.primitive.attrs if a not in attrs]
        if missing:
            raise TypeError(f"{what} is missing argument(s): {', '.join(missing)}")
        return operands, attrs


def spec(prim, *params, output=None, variadic=None, **defaults):
    return OpSpec(prim, tuple((p, p) if isinstance(p, str) else p for p in params), defaults,
                  output=output, variadic=variadic)


# Operators in construct.
FOLD_BINOPS = {gast.Add: operator.add, gast.Sub: operator.sub, gast.Mult: operator.mul,
               gast.Div: operator.truediv, gast.FloorDiv: operator.floordiv, gast.Mod: operator.mod,
               gast.Pow: operator.pow}
BINOPS = {gast.Add: "add", gast.Sub: "sub", gast.Mult: "mul", gast.Div: "div", gast.Pow: "pow"}
MATMUL_OP = spec("matmul", transpose_a=False, transpose_b=False)
UNARYOPS = {gast.USub: "neg"}
COMPARE = {gast.Gt: "greater", gast.Lt: "less", gast.GtE: "greater_equal", gast.LtE: "less_equal",
           gast.Eq: "equal", gast.NotEq: "not_equal"}

# NumPy functions, exact math.
NUMPY = {
    np.add: spec("add"), np.subtract: spec("sub"), np.multiply: spec("mul"), np.divide: spec("div"),
    np.true_divide: spec("div"), np.power: spec("pow"), np.negative: spec("neg"), np.square: spec("square"),
    np.exp: spec("exp"), np.log: spec("log"), np.sqrt: spec("sqrt"), np.tanh: spec("tanh"),
    np.dot: MATMUL_OP, np.matmul: MATMUL_OP,
    np.sum: spec("reduce_sum", ("axis", "axis"), ("keepdims", "keep_dims"), axis=None, keep_dims=False),
    np.mean: spec("reduce_mean", ("axis", "axis"), ("keepdims", "keep_dims"), axis=None, keep_dims=False),
    np.reshape: spec("reshape", ("newshape", "shape"), ("shape", "shape")),
    np.transpose: spec("transpose", ("axes", "perm"), perm=None),
    np.expand_dims: spec("expand_dims", "axis"),
    np.zeros_like: spec("zeros_like"), np.ones_like: spec("ones_like"),
    np.broadcast_to: spec("broadcast_to", "shape"),
}

# Tensor methods (MindSpore spellings).
METHODS = {
    "sum": spec("reduce_sum", ("axis", "axis"), ("keepdims", "keep_dims"), axis=None, keep_dims=False),
    "mean": spec("reduce_mean", ("axis", "axis"), ("keep_dims", "keep_dims"), ("keepdims", "keep_dims"),
                 axis=None, keep_dims=False),
    "reshape": spec("reshape", "shape", variadic="shape"),
    "transpose": spec("transpose", ("axes", "perm"), variadic="perm", perm=None),
    "expand_dims": spec("expand_dims", "axis"),
    "astype": spec("cast", "dtype"),
    "exp": spec("exp"), "log": spec("log"), "sqrt": spec("sqrt"), "tanh": spec("tanh"),
    "sigmoid": spec("sigmoid"), "relu": spec("relu"), "square": spec("square"),
    "matmul": MATMUL_OP,
}
