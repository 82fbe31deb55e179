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


def spec(prim, *params, output=None, variadic=None, derive=None, **defaults):
    return OpSpec(prim, tuple((p, p) if isinstance(p, str) else p for p in params), defaults,
                  output=output, variadic=variadic, derive=derive)


def _value(v):
    return getattr(v, "obj", v)      # resolve passes Static values; eager calls plain ones


def _open_bounds(attrs):
    """clip: a missing bound (None) is an infinite one."""
    out = {}
    for name, inf in (("min_value", -np.inf), ("max_value", np.inf)):
        if _value(attrs.get(name)) is None:
            out[name] = inf
    return out


def _numpy_axis(attrs):
    """NumPy's axis=() reduces over no axis; the reduce primitives' () is MindSpore's, every axis."""
    if _value(attrs.get("axis")) == ():
        raise TypeError("axis=() reduces over no axis in NumPy, and is not supported here: leave the "
                        "call out, or pass axis=None to reduce over every axis")
    return {}


_NUMPY_DEFAULTS = {"out": None, "dtype": None, "decimals": 0}


def _method(*params, passes=("out",), derive=None, **defaults):
    """A Tensor method that NumPy also calls: np.max(t) is t.max(axis=None, out=None),
    np.cumsum(t) passes dtype=None too, np.round(t) decimals=0. Those defaults are
    accepted (`passes`), anything else for them is refused."""
    def check(attrs):
        for name in passes:
            if _value(attrs.pop(name, _NUMPY_DEFAULTS[name])) != _NUMPY_DEFAULTS[name]:
                raise TypeError(f"the '{name}' argument is not supported")
        return derive(attrs) if derive else {}
    return spec(*params, *passes, derive=check, **defaults)


def _einsum_subscripts(attrs):
    """The equation string as a tuple of three subscripts, which resolve passes as a literal."""
    equation = _value(attrs.get("equation"))
    return {"equation": P.parse_einsum(equation)} if isinstance(equation, str) else {}


@dataclass(frozen=True)
class EquationFirstSpec(OpSpec):
    """np.einsum / ops.einsum: the equation comes before the (two) operands."""

    def bind(self, args, kwargs, what):
        args = list(args)
        if len(args) != 3:
            raise TypeError(f"{what} takes an equation and two operands here, got {len(args)} arguments")
        return super().bind(args[1:] + args[:1], kwargs, what)


def clip_spec(*params):
    return spec("clip", *params, min_value=None, max_value=None, derive=_open_bounds)


def einsum_spec():
    return EquationFirstSpec("einsum2", (("equation", "equation"),), derive=_einsum_subscripts)


def gather_batch_dims_zero(attrs):
    """Gather's batch_dims: only 0 (no batch axes) is supported."""
    if _value(attrs.pop("batch_dims", 0)) != 0:
        raise TypeError("Gather supports batch_dims=0 only")
    return {}


# Operators in construct.
FOLD_BINOPS = {gast.Add: operator.add, gast.Sub: operator.sub, gast.Mult: operator.mul,
               gast.Div: operator.truediv, gast.FloorDiv: operator.floordiv, gast.Mod: operator.mod,
               gast.Pow: operator.pow}
BINOPS = {gast.Add: "add", gast.Sub: "sub", gast.Mult: "mul", gast.Div: "div", gast.Pow: "pow",
          gast.FloorDiv: "floordiv", gast.Mod: "mod"}
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
    np.sum: spec("reduce_sum", ("axis", "axis"), ("keepdims", "keep_dims"), axis=None, keep_dims=False,
                 derive=_numpy_axis),
    np.mean: spec("reduce_mean", ("axis", "axis"), ("keepdims", "keep_dims"), axis=None, keep_dims=False,
                  derive=_numpy_axis),
    np.reshape: spec("reshape", ("newshape", "shape"), ("shape", "shape")),
    np.ravel: spec("reshape", shape=(-1,)),
    np.transpose: spec("transpose", ("axes", "perm"), perm=None),
    np.expand_dims: spec("expand_dims", "axis"),
    np.zeros_like: spec("zeros_like"), np.ones_like: spec("ones_like"),
    np.broadcast_to: spec("broadcast_to", "shape"),
    np.maximum: spec("maximum"), np.minimum: spec("minimum"), np.abs: spec("abs"),
    np.sin: spec("sin"), np.cos: spec("cos"), np.tan: spec("tan"), np.sign: spec("sign"),
    np.log1p: spec("log1p"), np.expm1: spec("expm1"),
    np.floor: spec("floor"), np.round: spec("round"), np.around: spec("round"),
    np.clip: clip_spec(("a_min", "min_value"), ("a_max", "max_value"), ("min", "min_value"), ("max", "max_value")),
    np.where: spec("select"),
    np.tile: spec("tile", ("reps", "multiples")),
    np.squeeze: spec("squeeze", "axis", axis=None),
    np.max: spec("reduce_max", "axis", ("keepdims", "keep_dims"), axis=None, keep_dims=False),
    np.amax: spec("reduce_max", "axis", ("keepdims", "keep_dims"), axis=None, keep_dims=False),
    np.min: spec("reduce_min", "axis", ("keepdims", "keep_dims"), axis=None, keep_dims=False),
    np.amin: spec("reduce_min", "axis", ("keepdims", "keep_dims"), axis=None, keep_dims=False),
    np.argmax: spec("argmax", "axis", ("keepdims", "keep_dims"), axis=None, keep_dims=False, dtype=np.int64),
    np.argmin: spec("argmin", "axis", ("keepdims", "keep_dims"), axis=None, keep_dims=False, dtype=np.int64),
    np.cumsum: spec("cumsum", "axis", axis=None, exclusive=False, reverse=False),
    np.einsum: einsum_spec(),
    np.take: spec("gather", "axis", axis=None),
}

# Tensor methods (MindSpore spellings).
METHODS = {
    "sum": spec("reduce_sum", ("axis", "axis"), ("keepdims", "keep_dims"), axis=None, keep_dims=False),
    "mean": spec("reduce_mean", ("axis", "axis"), ("keep_dims", "keep_dims"), ("keepdims", "keep_dims"),
                 axis=None, keep_dims=False),
    "reshape": spec("reshape", "shape", variadic="shape"),
    "flatten": spec("reshape", shape=(-1,)), "ravel": spec("reshape", shape=(-1,)),
    "transpose": spec("transpose", ("axes", "perm"), variadic="perm", perm=None),
    "expand_dims": spec("expand_dims", "axis"),
    "astype": spec("cast", "dtype"),
    "exp": spec("exp"), "log": spec("log"), "sqrt": spec("sqrt"), "tanh": spec("tanh"),
    "sigmoid": spec("sigmoid"), "relu": spec("relu"), "square": spec("square"),
    "matmul": MATMUL_OP,
    "maximum": spec("maximum"), "minimum": spec("minimum"), "abs": spec("abs"),
    "sin": spec("sin"), "cos": spec("cos"), "tan": spec("tan"), "erf": spec("erf"),
    "sign": spec("sign"), "floor": spec("floor"), "round": _method("round", passes=("decimals", "out")),
    "clip": _method("clip", ("min", "min_value"), ("max", "max_value"), min_value=None, max_value=None,
                    derive=_open_bounds),
    "tile": spec("tile", ("reps", "multiples"), ("dims", "multiples"), variadic="multiples"),
    "squeeze": spec("squeeze", "axis", axis=None),
    "max": _method("reduce_max", "axis", ("keepdims", "keep_dims"), axis=None, keep_dims=False),
    "min": _method("reduce_min", "axis", ("keepdims", "keep_dims"), axis=None, keep_dims=False),
    "argmax": _method("argmax", "axis", ("keepdims", "keep_dims"), axis=None, keep_dims=False, dtype=np.int64),
    "argmin": _method("argmin", "axis", ("keepdims", "keep_dims"), axis=None, keep_dims=False, dtype=np.int64),
    "cumsum": _method("cumsum", "axis", passes=("dtype", "out"), axis=None, exclusive=False, reverse=False),
    "logsumexp": spec("logsumexp", "axis", ("keepdims", "keep_dims"), keep_dims=False),
}
