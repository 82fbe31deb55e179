"""Stage 2, resolve: specialise a Cell's construct (or a function) to one pure
function over arrays.

It evaluates the user's code symbolically. Everything known while resolving is a
`Static` value and folds away: sub-cells are inlined with renamed locals,
primitive objects become primitive calls with their attributes as literals,
`self.<constant>` becomes a literal and `if self.flag:` keeps only the taken
branch, loops over tuples of cells unroll. What is only known at run time is a
`Dyn` value holding an expression node: Parameters and Tensor constants become
arguments of the resolved function, and every operation on them becomes a call
to a primitive of the table (`primitives.py`) through `surface.py`.
"""
import builtins
import re
import math
import operator
import types
from dataclasses import dataclass, field

import gast
import numpy as np

from . import dtype as mstype
from . import nodes as N
from . import primitives as P
from . import surface
from .errors import ResolveError, UnsupportedSyntaxError
from .jumps import structure
from .parse import parse_function
from . import element_ops as E
from .inplace import Update
from .loops import checkpointed, default_every


@dataclass
class Dyn:
    node: gast.AST


@dataclass
class Static:
    obj: object


@dataclass
class Tup:
    items: list


@dataclass
class Method:
    base: Dyn
    name: str


@dataclass
class Resolved:
    fn: gast.FunctionDef     # args: inputs, then params, then constants
    inputs: list             # per root positional argument: its name, or None if static
    params: list             # [(name, Parameter)]
    consts: list             # [(name, ndarray)]
    source: dict = field(default_factory=dict)   # source key (a statement's lineno) -> SourceLoc
    root_file: str = ""
    updates: list = field(default_factory=list)  # [(value name, Parameter, loc)]: ops.assign (state.py)


RESERVED = set(P.TABLE) | set(P.HELPER_KERNELS) | {
    "np", "forward", "backward", "value_and_grad", "residuals", "sens", "state", "float16", "float32", "float64",
    "int8", "int16", "int32", "int64", "uint8", "bool_"}


class NameGen:
    """Deterministic unique names: `out`, `out_1`, `out_2`, ..."""

    def __init__(self):
        self.used = set(RESERVED)
        self.counters = {}

    def fresh(self, base):
        base = re.sub(r"\W", "_", base)
        if base[:1].isdigit():
            base = "p" + base      # `0.weight` -> `p0_weight`
        if base.startswith("d_"):
            base = "v" + base      # `d_*` names are adjoints
        return N.unique(base, self.used, self.counters)


class Frame:
    def __init__(self, parsed, self_obj, env):
        self.parsed = parsed
        self.self_obj = self_obj
        self.env = env
        fn = parsed.fn
        self.globals = fn.__globals__
        self.closure = {}
        if fn.__closure__:
            for name, cell in zip(fn.__code__.co_freevars, fn.__closure__):
                try:
                    self.closure[name] = cell.cell_contents
                except ValueError:
                    pass


_FOLD_CMP = {gast.Gt: operator.gt, gast.Lt: operator.lt, gast.GtE: operator.ge, gast.LtE: operator.le,
             gast.Eq: operator.eq, gast.NotEq: operator.ne, gast.Is: operator.is_, gast.IsNot: operator.is_not,
             gast.In: lambda a, b: a in b, gast.NotIn: lambda a, b: a not in b}
_STATIC_BUILTINS = {abs, min, max, int, float, bool, tuple, list, isinstance, range, round, enumerate, zip,
                    getattr, hasattr, str, type}
_MAX_DEPTH = 64
# what to write instead of a call s2sgrad refuses, where one form is the usual way
_CALL_HINTS = {
    np.linalg.norm: "write the norm out: np.sqrt(np.sum(d * d))",
    np.arange: "index arrays (x[np.arange(n), labels]) are not supported: for a loss on class labels use "
               "ops.SoftmaxCrossEntropyWithLogits(sparse=True) or nn.CrossEntropyLoss, else multiply by a one-hot "
               "mask (ops.OneHot()(labels, n, 1.0, 0.0))",
}
UNROLL_LIMIT = 16      # static ranges up to this length are unrolled while resolving


@dataclass
class RangeValue:
    """range(...) with runtime bounds: only a runtime `for` loop can use it."""
    args: list

    @staticmethod
    def of(value):
        """A constant range too long to unroll, as a RangeValue; anything else as it is."""
        if isinstance(value, Static) and isinstance(value.obj, range):
            r = value.obj
            return RangeValue([Static(r.start), Static(r.stop), Static(r.step)])
        return value


@dataclass
class Checkpointed:
    """checkpointed(range(...), every): only a `for` loop can use it (see loops.py)."""
    range: object
    every: object


AUG_OPS = {gast.Add: "+", gast.Sub: "-", gast.Mult: "*", gast.Div: "/", gast.Pow: "**"}

MATH = {"exp": "exp", "log": "log", "sqrt": "sqrt", "sin": "sin", "cos": "cos", "tan": "tan", "tanh": "tanh",
        "pow": "pow", "fabs": "abs", "erf": "erf", "log1p": "log1p", "expm1": "expm1"}

# Arrays created in construct (the only ones code may write into) and copies.
ALLOCATION = {
    np.zeros: surface.spec("zeros", "shape", "dtype", dtype=np.float64),
    np.ones: surface.spec("ones", "shape", "dtype", dtype=np.float64),
    np.empty: surface.spec("empty", "shape", "dtype", dtype=np.float64),
    np.full: surface.spec("full", "shape", ("fill_value", "value"), "dtype", dtype=np.float64),
    np.copy: surface.spec("copy"),
}
EXTRA_METHODS = {"copy": surface.spec("copy")}
MOMENTS = ("var", "std")         # composites: resolve writes them out (Resolver.moment)


def same_value(a, b):
    if isinstance(a, Dyn) and isinstance(b, Dyn):
        return isinstance(a.node, gast.Name) and isinstance(b.node, gast.Name) and a.node.id == b.node.id
    if isinstance(a, Static) and isinstance(b, Static):
        return a.obj is b.obj or (type(a.obj) is type(b.obj) and isinstance(a.obj, (bool, int, float, str))
                                  and a.obj == b.obj)
    if isinstance(a, Tup) and isinstance(b, Tup):
        return len(a.items) == len(b.items) and all(same_value(x, y) for x, y in zip(a.items, b.items))
    return False


def mark_not_differentiated(stmt):
    """Statements of a custom-bprop cell's construct: forward only."""
    stmt.no_grad = True
    for child in getattr(stmt, "body", []) + getattr(stmt, "orelse", []):
        mark_not_differentiated(child)


def bound_names(target):
    """Names an assignment target rebinds (`y[i] = ...` rebinds nothing)."""
    if isinstance(target, gast.Name):
        return [target.id]
    if isinstance(target, (gast.Tuple, gast.List)):
        return [n for e in target.elts for n in bound_names(e)]
    return []


def ast_text(node):
    import astor
    return astor.to_source(gast.gast_to_ast(node)).strip()


class Resolver:
    def __init__(self):
        self.names = NameGen()
        self.stmts = []
        self.params = {}     # id -> (name, Parameter)
        self.consts = {}     # id -> (name, ndarray)
        self.stack = []      # frames, for recursion detection and locations
        self.lineno = None
        self.source = {}     # source key -> SourceLoc
        self.partial = {}    # names undefined on some path -> (loc, why, hint), for error messages
        self.augmented = []  # inplace.Update for each `x += v` on a runtime value
        self.fresh_arrays = set()   # arrays created in construct: the only ones written in place
        self.loop_depth = 0         # runtime loops being resolved (a return inside one is refused)
        self.source_keys = {}
        self.updates = {}           # id(Parameter) -> (value name, Parameter, loc): ops.assign, see state.py
        self.top_stmts = None       # the function body's statement list (assignments must land there)

    # -- errors --------------------------------------------------------------
    def error(self, cls, message, node, hint=None):
        frame = self.stack[-1]
        return cls(message, frame.parsed.loc(node), hint)

    # -- values --------------------------------------------------------------
    def wrap_static(self, obj):
        from .parameter import Parameter
        from .tensor import Tensor
        if isinstance(obj, Parameter):
            if id(obj) in self.updates:          # read after ops.assign: the assigned value
                return Dyn(N.name(self.updates[id(obj)][0]))
            entry = self.params.get(id(obj))
            if entry is None:
                entry = self.params[id(obj)] = (self.names.fresh(obj.name), obj)
            return Dyn(N.name(entry[0]))
        if isinstance(obj, (Tensor, np.ndarray)):
            arr = np.asarray(obj.asnumpy() if isinstance(obj, Tensor) else obj)
            entry = self.consts.get(id(obj))
            if entry is None:
                entry = self.consts[id(obj)] = (self.names.fresh("const"), arr)
            return Dyn(N.name(entry[0]))
        return Static(obj)

    def emit(self, target_base, value_node):
        """Bind an expression to a fresh local named after the source."""
        if isinstance(value_node, gast.Name):
            return Dyn(value_node)
        if isinstance(value_node, gast.Call) and self._n_out(value_node) > 1:
            names = [self.names.fresh(f"{target_base}_{i}") for i in range(self._n_out(value_node))]
            self._append(N.assign(names, value_node))
            return Tup([Dyn(N.name(n)) for n in names])
        name = self.names.fresh(target_base)
        self._append(N.assign(name, value_node))
        if isinstance(value_node, gast.Call) and getattr(value_node.func, "id", None) in E.FRESH:
            self.fresh_arrays.add(name)
        return Dyn(N.name(name))

    def _append(self, stmt):
        # an operation keeps the line it was written on, even when a caller names its result
        stmt.lineno = getattr(getattr(stmt, "value", None), "source_key", None) or self.lineno
        self.stmts.append(stmt)

    @staticmethod
    def _n_out(node):
        prim = P.TABLE.get(getattr(node.func, "id", None))
        return prim.n_out if prim else 1

    def as_operand(self, value, node, what):
        if isinstance(value, Dyn):
            return value.node
        if isinstance(value, Static) and isinstance(value.obj, (bool, int, float, np.number)):
            return N.const(value.obj.item() if isinstance(value.obj, np.number) else value.obj)
        raise self.error(ResolveError, f"{what} needs a tensor or number here, got {self.describe(value)}", node)

    def as_attr(self, value, node, what):
        if isinstance(value, Static):
            obj = value.obj
            if isinstance(obj, mstype.Type):
                return N.name(obj.np_dtype.name if obj.np_dtype != np.bool_ else "bool_")
            if isinstance(obj, type) and issubclass(obj, np.generic) or isinstance(obj, np.dtype):
                return N.name(np.dtype(obj).name if np.dtype(obj) != np.bool_ else "bool_")
            if isinstance(obj, list):
                obj = tuple(obj)
            if isinstance(obj, (bool, int, float, tuple, type(None))):
                return N.literal(obj)
        if isinstance(value, Tup):
            return N.tuple_([self.as_attr(v, node, what) for v in value.items])
        if isinstance(value, Dyn):
            node_ = value.node
            if isinstance(node_, gast.Name):
                for name, arr in self.consts.values():
                    if name == node_.id and arr.ndim == 0:
                        return N.const(arr.item())
            if isinstance(node_, gast.Call):         # runtime arithmetic, e.g. np.zeros(n - k + 1)
                return self.emit("n", node_).node
            return node_
        raise self.error(ResolveError, f"{what} needs a constant here, got {self.describe(value)}", node)

    @staticmethod
    def describe(value):
        if isinstance(value, Static):
            return f"{type(value.obj).__name__} {value.obj!r}"[:80]
        return {Dyn: "a runtime value", Tup: "a tuple", Method: "a method"}[type(value)]

    # -- functions -----------------------------------------------------------
    def call_function(self, fn, self_obj, args, kwargs, call_node=None):
        parsed = parse_function(fn)
        if any(f.parsed is parsed for f in self.stack):
            raise self.error(UnsupportedSyntaxError, f"recursive call of {fn.__qualname__} is not supported",
                             call_node, "rewrite the recursion as a loop")
        if len(self.stack) > _MAX_DEPTH:
            raise self.error(ResolveError, "calls nest too deeply", call_node)
        env = self.bind_arguments(parsed, fn, self_obj, args, kwargs, call_node)
        frame = Frame(parsed, self_obj, env)
        self.stack.append(frame)
        saved_line, saved_depth = self.lineno, self.loop_depth
        self.loop_depth = 0          # a callee's own returns are not inside the caller's loops
        if not hasattr(parsed, "structured"):
            parsed.structured = structure(parsed.tree)
        try:
            result = self.exec_block(parsed.structured.body, frame)
        finally:
            self.stack.pop()
            self.lineno, self.loop_depth = saved_line, saved_depth
        return result if result is not None else Static(None)

    def bind_arguments(self, parsed, fn, self_obj, args, kwargs, call_node):
        spec = parsed.tree.args
        names = [a.id for a in spec.posonlyargs + spec.args]
        if self_obj is not None:
            names = names[1:]
        defaults = fn.__defaults__ or ()
        default_map = dict(zip(names[len(names) - len(defaults):], defaults))
        env = {}
        if len(args) > len(names):
            raise self._call_error(f"{fn.__qualname__}() takes {len(names)} arguments but {len(args)} were given",
                                   call_node, parsed)
        for name, value in zip(names, args):
            env[name] = value
        for key, value in kwargs.items():
            if key not in names or key in env:
                raise self._call_error(f"{fn.__qualname__}() got an unexpected or repeated argument '{key}'",
                                       call_node, parsed)
            env[key] = value
        for name in names:
            if name not in env:
                if name not in default_map:
                    raise self._call_error(f"{fn.__qualname__}() missing argument '{name}'", call_node, parsed)
                env[name] = self.wrap_static(default_map[name])
        if self_obj is not None:
            env[(spec.posonlyargs + spec.args)[0].id] = Static(self_obj)
        return env

    def _call_error(self, message, call_node, parsed):
        if call_node is not None and self.stack:
            return self.error(ResolveError, message, call_node)
        return ResolveError(message, parsed.loc(parsed.tree))

    def source_key(self, loc):
        """Generated statements carry a key of their user source line in `lineno`:
        keys are small integers, one per (file, line), so lines of different files never mix."""
        key = self.source_keys.get((loc.filename, loc.lineno))
        if key is None:
            key = self.source_keys[(loc.filename, loc.lineno)] = len(self.source_keys) + 1
            self.source[key] = loc
        return key

    # -- statements ------------------------------------------------------------
    def exec_block(self, stmts, frame):
        for stmt in stmts:
            self.lineno = self.source_key(frame.parsed.loc(stmt))
            result = self.exec_stmt(stmt, frame)
            if result is not None:
                return result
        return None

    def exec_stmt(self, stmt, frame):
        if isinstance(stmt, gast.Assign):
            value = self.ev(stmt.value, frame)
            for target in stmt.targets:
                self.assign(target, value, frame)
        elif isinstance(stmt, gast.AnnAssign):
            if stmt.value is not None:
                self.assign(stmt.target, self.ev(stmt.value, frame), frame)
        elif isinstance(stmt, gast.AugAssign):
            if isinstance(stmt.target, gast.Subscript):
                current = self.ev(stmt.target, frame)
            elif isinstance(stmt.target, gast.Name):
                current = self.ev(stmt.target, frame)
                self.record_update(stmt, current, frame)
            else:
                raise self.error(UnsupportedSyntaxError, "augmented assignment to an attribute is not supported",
                                 stmt, "assign to a local variable")
            value = self.binop(stmt.op, current, self.ev(stmt.value, frame), stmt)
            self.assign(stmt.target, value, frame)
        elif isinstance(stmt, gast.Return):
            value = self.ev(stmt.value, frame) if stmt.value is not None else Static(None)
            self.return_lineno = self.lineno
            return value
        elif isinstance(stmt, gast.Expr):
            if not (isinstance(stmt.value, gast.Constant) and isinstance(stmt.value.value, str)):
                self.ev(stmt.value, frame)
        elif isinstance(stmt, gast.Pass):
            pass
        elif isinstance(stmt, gast.If):
            test = self.ev(stmt.test, frame)
            if isinstance(test, (Static, Tup)):
                return self.exec_block(stmt.body if self.truth(test, stmt.test) else stmt.orelse, frame)
            return self.exec_if(stmt, test, frame)
        elif isinstance(stmt, gast.For):
            return self.exec_for(stmt, frame)
        elif isinstance(stmt, gast.While):
            return self.exec_while(stmt, frame)
        else:
            raise self.error(UnsupportedSyntaxError, f"{type(stmt).__name__.lower()} statements are not "
                             "supported in differentiated code", stmt)
        return None

    def truth(self, value, node):
        if isinstance(value, Static):
            return bool(value.obj)
        if isinstance(value, Tup):
            return bool(value.items)
        raise self.error(UnsupportedSyntaxError, "this condition needs a constant", node)

    # -- control flow on runtime values ---------------------------------------------
    def run_block(self, stmts, frame, env):
        """Evaluate `stmts` into a fresh statement list; returns (list, env, returned value)."""
        saved_stmts, saved_env = self.stmts, frame.env
        self.stmts, frame.env = [], env
        try:
            returned = self.exec_block(stmts, frame)
            return self.stmts, frame.env, returned
        finally:
            self.stmts, frame.env = saved_stmts, saved_env

    def condition(self, value, node):
        """A runtime condition as the name of a boolean scalar."""
        operand = self.as_operand(value, node, "a condition")
        return self.emit("cond", operand).node.id

    def record_update(self, stmt, current, frame):
        """For inplace.check, which needs the types analysis finds."""
        if isinstance(current, Dyn) and isinstance(current.node, gast.Name):
            name = stmt.target.id
            visible = {}                 # this function's other variables, and its callers'
            for fr in self.stack:
                where = "" if fr is frame else f"` in `{fr.parsed.fn.__name__}"
                visible.update({n + where: v.node.id for n, v in fr.env.items() if (n != name or fr is not frame)
                                and isinstance(v, Dyn) and isinstance(v.node, gast.Name)})
            where = types.SimpleNamespace(lineno=self.lineno)
            self.augmented.append(Update(where, name, AUG_OPS.get(type(stmt.op), "+"), current.node.id, visible))

    def exec_if(self, stmt, test, frame):
        cond = self.condition(test, stmt.test)
        line = self.lineno
        body, env_a, ret_a = self.run_block(stmt.body, frame, dict(frame.env))
        orelse, env_b, ret_b = self.run_block(stmt.orelse, frame, dict(frame.env))
        merged = {}
        for name in list(env_a) + [n for n in env_b if n not in env_a]:
            a, b = env_a.get(name), env_b.get(name)
            if a is None or b is None:
                self.partial[name] = (frame.parsed.loc(stmt), "is assigned in only one branch of this `if`",
                                      "assign it before the `if` or in both branches")
                continue
            merged[name] = self.merge(name, a, b, body, orelse, stmt)
        frame.env = merged
        returned = None
        if (ret_a is not None or ret_b is not None) and self.loop_depth:
            where = next((n for n in N.walk(stmt) if isinstance(n, gast.Return)), stmt)
            raise self.error(UnsupportedSyntaxError, "return inside a loop is not supported", where,
                             "store the result in a variable initialised before the loop, `break`, and return "
                             "after the loop")
        if (ret_a is None) != (ret_b is None):
            raise self.error(UnsupportedSyntaxError, "only some paths through this `if` return a value", stmt,
                             "return a value on every path")
        if ret_a is not None:
            returned = self.merge("out", ret_a, ret_b, body, orelse, stmt)
        node = gast.If(test=N.name(cond), body=body, orelse=orelse)
        node.lineno = line
        self.stmts.append(node)
        return returned

    def merge(self, name, a, b, body, orelse, node):
        """One value for `name` after a branch: a merge variable both branches assign."""
        if same_value(a, b):
            return a
        if isinstance(a, Tup) and isinstance(b, Tup) and len(a.items) == len(b.items):
            return Tup([self.merge(name, x, y, body, orelse, node) for x, y in zip(a.items, b.items)])
        var = self.names.fresh(name)
        for block, value in ((body, a), (orelse, b)):
            block.append(self.merge_copy(var, value, name, node))
        return Dyn(N.name(var))

    def merge_copy(self, var, value, name, node):
        if not (isinstance(value, Dyn) or isinstance(value, Static) and isinstance(value.obj, (bool, int, float))):
            raise self.error(UnsupportedSyntaxError, f"`{name}` holds {self.describe(value)} on one path and "
                             "a different value on another", node, "give the variable one type on every path")
        stmt = N.assign(var, self.as_operand(value, node, name))
        stmt.lineno = self.lineno
        stmt.merge = True
        return stmt

    def carry(self, body_ast, frame, node):
        """Loop-carried variables: names the body assigns that exist before the loop."""
        assigned = []
        for n in N.walk(gast.Module(body=body_ast, type_ignores=[])):
            targets = []
            if isinstance(n, gast.Assign):
                targets = n.targets
            elif isinstance(n, (gast.AugAssign, gast.AnnAssign, gast.For)):
                targets = [n.target]
            for t in targets:
                for leaf in bound_names(t):
                    if leaf not in assigned:
                        assigned.append(leaf)
        carried = {}
        for name in assigned:
            if name in frame.env and not isinstance(frame.env[name], Static) or \
                    name in frame.env and isinstance(frame.env[name].obj, (bool, int, float)):
                carried[name] = self.carry_value(name, frame.env[name], node)
                frame.env[name] = carried[name]
        return assigned, carried

    def carry_value(self, name, value, node):
        if isinstance(value, Tup):
            return Tup([self.carry_value(name, v, node) for v in value.items])
        var = self.names.fresh(name)
        self.stmts.append(self.merge_copy(var, value, name, node))
        return Dyn(N.name(var))

    def close_carry(self, carried, frame, node):
        """At the end of a loop body: copy each carried variable's new value back."""
        def close(name, var, value):
            if isinstance(var, Tup):
                if not isinstance(value, Tup) or len(value.items) != len(var.items):
                    raise self.error(UnsupportedSyntaxError, f"`{name}` changes its structure inside the loop", node)
                for v, x in zip(var.items, value.items):
                    close(name, v, x)
            elif not same_value(var, value):
                self.stmts.append(self.merge_copy(var.node.id, value, name, node))
        for name, var in list(carried.items()):
            if name not in frame.env:       # the body left it undefined (an inner runtime loop's index):
                del carried[name]           # not carried; forget_loop_locals forgets it after the loop
                continue
            close(name, var, frame.env[name])
            frame.env[name] = var

    def forget_loop_locals(self, assigned, carried, frame, node):
        for name in assigned:
            if name not in carried and name in frame.env:
                del frame.env[name]
                self.partial[name] = (frame.parsed.loc(node), "is assigned inside this loop but not before it",
                                      "initialise it before the loop")

    def exec_for(self, stmt, frame):
        if stmt.orelse:
            raise self.error(UnsupportedSyntaxError, "for/else is not supported", stmt, "drop the else block")
        iterable = self.ev(stmt.iter, frame)
        items = self.static_items(iterable)
        if items is None:
            iterable = RangeValue.of(iterable)
        if items is not None:
            for item in items:
                self.assign(stmt.target, item, frame)
                if self.exec_block(stmt.body, frame) is not None:
                    raise self.error(UnsupportedSyntaxError, "return inside a loop is not supported", stmt,
                                     "set a variable and return after the loop")
            return None
        if isinstance(iterable, Checkpointed) and isinstance(stmt.target, gast.Name):
            return self.exec_checkpointed(stmt, iterable, frame)
        if not (isinstance(iterable, RangeValue) and isinstance(stmt.target, gast.Name)):
            raise self.error(UnsupportedSyntaxError, "a loop over a runtime value is not supported", stmt.iter,
                             "loop over range(...) and index the array, e.g. `for i in range(len(x)):`")
        self.runtime_for(stmt, iterable, frame)
        return None

    def runtime_for(self, stmt, iterable, frame):
        """Emit a `for` over a range with runtime bounds; returns the loop node."""
        bounds = [self.atom(v, stmt.iter, "range") for v in iterable.args]
        if len(bounds) == 1:
            bounds = [N.const(0)] + bounds
        if len(bounds) == 2:
            bounds = bounds + [N.const(1)]
        line = self.lineno
        assigned, carried = self.carry(stmt.body, frame, stmt)
        index = self.names.fresh(stmt.target.id)
        env = dict(frame.env)
        env[stmt.target.id] = Dyn(N.name(index))
        self.loop_depth += 1
        try:
            body, env, returned = self.run_block(stmt.body, frame, env)
        finally:
            self.loop_depth -= 1
        if returned is not None:
            raise self.error(UnsupportedSyntaxError, "return inside a loop is not supported", stmt,
                             "store the result in a variable initialised before the loop, `break`, and return "
                             "after the loop")
        saved = self.stmts
        self.stmts = body
        frame_env, frame.env = frame.env, env
        self.close_carry(carried, frame, stmt)
        frame.env = frame_env
        self.stmts = saved
        node = gast.For(target=N.name(index, store=True), iter=N.call("range", *bounds), body=body, orelse=[],
                        type_comment=None)
        node.lineno = line
        self.stmts.append(node)
        self.forget_loop_locals(assigned + [stmt.target.id], carried, frame, stmt)
        return node

    def exec_checkpointed(self, stmt, ck, frame):
        """`for i in checkpointed(range(a, b, s), every=k)` (see loops.py) becomes
            for c in range(a, b, s*k):                 # marked: the reverse recomputes
                for i in range(c, min(c + s*k, b), s):  # the user's body
        The outer loop is resolved from this synthesized source, so carried variables
        are found as for any loop."""
        if not isinstance(ck.range, RangeValue):
            raise self.error(UnsupportedSyntaxError, "checkpointed(...) takes a range(...)", stmt.iter,
                             "write `for i in checkpointed(range(n), every=k):`")
        args = list(ck.range.args)
        start, stop, step = ([Static(0)] + args + [Static(1)])[:3] if len(args) == 1 else (args + [Static(1)])[:3]
        if not (isinstance(step, Static) and isinstance(step.obj, int) and step.obj != 0):
            raise self.error(UnsupportedSyntaxError, "a checkpointed loop needs a constant range step", stmt.iter,
                             "use a literal step, e.g. range(a, b, 2)")
        every = ck.every
        if every is None:
            if not all(isinstance(v, Static) for v in (start, stop)):
                raise self.error(UnsupportedSyntaxError, "the number of iterations is only known at run time, so "
                                 "checkpointed(...) cannot choose a segment length", stmt.iter,
                                 "give one: checkpointed(range(n), every=100)")
            every = default_every(len(range(start.obj, stop.obj, step.obj)))
        span = step.obj * every
        taken = set(frame.env) | {n.id for n in N.walk(stmt) if isinstance(n, gast.Name)}
        seg = next(f"segment{i or ''}" for i in range(len(taken) + 1) if f"segment{i or ''}" not in taken)
        lo, hi = "__checkpoint_start", "__checkpoint_stop"       # names user code does not use
        frame.env[lo], frame.env[hi] = start, stop
        clip = "min" if span > 0 else "max"
        outer = gast.parse(f"for {seg} in range({lo}, {hi}, {span}):\n"
                           f"    for _ in range({seg}, {clip}({seg} + {span}, {hi}), {step.obj}):\n"
                           f"        pass\n").body[0]
        inner = outer.body[0]
        inner.target, inner.body = stmt.target, stmt.body
        for node in (outer, inner, *N.walk(outer.iter), *N.walk(inner.iter)):
            gast.copy_location(node, stmt)
        node = self.runtime_for(outer, RangeValue([start, stop, Static(span)]), frame)
        node.checkpoint = True
        del frame.env[lo], frame.env[hi]
        return None

    def exec_while(self, stmt, frame):
        if stmt.orelse:
            raise self.error(UnsupportedSyntaxError, "while/else is not supported", stmt, "drop the else block")
        line = self.lineno
        assigned, carried = self.carry(stmt.body, frame, stmt)
        test = self.ev(stmt.test, frame)
        if isinstance(test, Static):
            if not test.obj:
                return None
            raise self.error(UnsupportedSyntaxError, "a `while` on a constant true condition never ends", stmt.test,
                             "loop on a runtime condition or use `for ... in range(...)`")
        cond = self.names.fresh("cond")
        self.stmts.append(self.merge_copy(cond, test, "cond", stmt))
        self.loop_depth += 1
        try:
            body, env, returned = self.run_block(stmt.body, frame, dict(frame.env))
        finally:
            self.loop_depth -= 1
        if returned is not None:
            raise self.error(UnsupportedSyntaxError, "return inside a loop is not supported", stmt,
                             "store the result in a variable initialised before the loop, `break`, and return "
                             "after the loop")
        saved, self.stmts = self.stmts, body
        frame_env, frame.env = frame.env, env
        self.lineno = line
        self.stmts.append(self.merge_copy(cond, self.ev(stmt.test, frame), "cond", stmt))
        self.close_carry(carried, frame, stmt)
        frame.env = frame_env
        self.stmts = saved
        node = gast.While(test=N.name(cond), body=body, orelse=[])
        node.lineno = line
        self.stmts.append(node)
        self.forget_loop_locals(assigned, carried, frame, stmt)
        return None

    def static_items(self, iterable):
        if isinstance(iterable, Tup):
            return iterable.items
        if isinstance(iterable, Static):
            obj = iterable.obj
            if hasattr(obj, "cell_list"):
                return [Static(c) for c in obj.cell_list]
            if isinstance(obj, range) and len(obj) > UNROLL_LIMIT:
                return None
            if isinstance(obj, (tuple, list, range, zip, enumerate)):
                return [self.wrap_static(x) for x in obj]
        return None

    def atom(self, value, node, what):
        """An operand as a name or constant (nested expressions get a temporary)."""
        operand = self.as_operand(value, node, what)
        if isinstance(operand, (gast.Name, gast.Constant)):
            return operand
        return self.emit("n", operand).node

    def assign(self, target, value, frame):
        if isinstance(target, gast.Name):
            if isinstance(value, Dyn):
                value = self.emit(target.id, value.node)
            elif isinstance(value, Tup):
                value = Tup([self.emit(target.id, v.node) if isinstance(v, Dyn) else v for v in value.items])
            frame.env[target.id] = value
            self.partial.pop(target.id, None)
        elif isinstance(target, (gast.Tuple, gast.List)):
            if isinstance(value, Dyn) and isinstance(value.node, gast.Attribute) and value.node.attr == "shape":
                value = Tup(self.shape_items(value.node, len(target.elts)))
            if isinstance(value, Dyn):
                value = self.emit("t", value.node)
            if isinstance(value, Static) and isinstance(value.obj, (tuple, list)):
                value = Tup([self.wrap_static(x) for x in value.obj])
            if not isinstance(value, Tup) or len(value.items) != len(target.elts):
                raise self.error(ResolveError, f"cannot unpack {self.describe(value)} into {len(target.elts)} names",
                                 target)
            for t, v in zip(target.elts, value.items):
                self.assign(t, v, frame)
        elif isinstance(target, gast.Attribute):
            raise self.error(UnsupportedSyntaxError, "assigning to an attribute (e.g. a Parameter) inside "
                             "differentiated code is not supported", target,
                             "return the new value and update the Parameter outside construct")
        elif isinstance(target, gast.Subscript):
            self.assign_element(target, value, frame)
        else:
            raise self.error(UnsupportedSyntaxError, f"cannot assign to {type(target).__name__}", target)

    @staticmethod
    def shape_items(shape, count):
        """`n, d = x.shape`: x.shape[0], x.shape[1], each marked with how many names it
        unpacks into, which analysis checks against x's number of dimensions."""
        items = []
        for i in range(count):
            item = N.subscript(N.clone(shape), N.const(i))
            item.unpacked_into = count
            items.append(Dyn(item))
        return items

    def assign_element(self, target, value, frame):
        array = self.ev(target.value, frame)
        if not (isinstance(array, Dyn) and isinstance(array.node, gast.Name)):
            raise self.error(UnsupportedSyntaxError, "only elements of arrays can be assigned", target)
        name = array.node.id
        if name not in self.fresh_arrays:
            raise self.error(UnsupportedSyntaxError, f"writing into `{ast_text(target.value)}` would change an array "
                             "that construct did not create", target,
                             "write into a copy (`y = x.copy()`) or an array made with np.zeros / np.empty")
        index = self.index_node(target.slice, frame)
        self._append(gast.Expr(value=N.call("setitem", N.name(name), self.as_operand(value, target, "an element"),
                                            index)))

    # -- expressions -------------------------------------------------------------
    def ev(self, node, frame):
        method = getattr(self, f"ev_{type(node).__name__}", None)
        if method is None:
            raise self.error(UnsupportedSyntaxError, f"{type(node).__name__} expressions are not supported in "
                             "differentiated code", node)
        return method(node, frame)

    def ev_Constant(self, node, frame):
        return Static(node.value)

    def ev_Name(self, node, frame):
        if node.id in frame.env:
            return frame.env[node.id]
        if node.id in self.partial:
            loc, why, hint = self.partial[node.id]
            raise ResolveError(f"`{node.id}` {why} (line {loc.lineno}), so it may be undefined here",
                               frame.parsed.loc(node), hint)
        for scope in (frame.closure, frame.globals, vars(builtins)):
            if node.id in scope:
                return self.wrap_static(scope[node.id])
        raise self.error(ResolveError, f"name '{node.id}' is not defined", node)

    def ev_Attribute(self, node, frame):
        base = self.ev(node.value, frame)
        if node.attr in ("append", "extend", "insert", "pop") and (
                isinstance(base, Tup) or (isinstance(base, Static) and isinstance(base.obj, tuple))):
            raise self.error(ResolveError, f"a list cannot grow or shrink in differentiated code (.{node.attr}): "
                             "lists here are fixed tuples", node,
                             "add into a number (`e += term`), or make an array first (`terms = np.zeros(n)`) "
                             "and write its elements (`terms[k] = term`)")
        if isinstance(base, Static):
            try:
                return self.wrap_static(getattr(base.obj, node.attr))
            except AttributeError:
                raise self.error(ResolveError, f"{self.describe(base)} has no attribute '{node.attr}'", node) from None
        if isinstance(base, Dyn):
            if node.attr in ("shape", "ndim", "size", "dtype"):
                return Dyn(N.attribute(base.node, node.attr))
            if node.attr == "T":
                return self.prim_call(surface.spec("transpose", perm=None), [base], {}, node)
            if node.attr in surface.METHODS or node.attr in EXTRA_METHODS or node.attr in MOMENTS:
                return Method(base, node.attr)
        raise self.error(ResolveError, f"'{node.attr}' is not a supported attribute or method of a tensor", node,
                         f"supported methods: {', '.join(sorted(surface.METHODS))}, and .shape, .T")

    def ev_Tuple(self, node, frame):
        items = [self.ev(e, frame) for e in node.elts]
        if all(isinstance(v, Static) for v in items):
            return Static(tuple(v.obj for v in items))
        return Tup(items)

    ev_List = ev_Tuple

    def ev_Subscript(self, node, frame):
        base = self.ev(node.value, frame)
        if isinstance(base, Dyn) and not (isinstance(base.node, gast.Attribute) and base.node.attr == "shape"):
            return self.read_elements(base, node, frame)
        index = self.ev(node.slice, frame)
        if isinstance(index, Static):
            if isinstance(base, Tup):
                return base.items[index.obj]
            if isinstance(base, Static):
                try:
                    return self.wrap_static(base.obj[index.obj])
                except (IndexError, KeyError, TypeError) as exc:
                    raise self.error(ResolveError, f"cannot index {self.describe(base)}: {exc}", node) from None
            if isinstance(base, Dyn):
                return Dyn(N.subscript(base.node, N.const(index.obj)))
        raise self.error(UnsupportedSyntaxError, "this index needs a constant", node)

    def read_elements(self, base, node, frame):
        """`x[index]`. A None in the index (`x[:, None]`, np.newaxis) is a new axis of length 1:
        the elements the rest of the index reads, then expand_dims where each None stands."""
        new_axes = []
        index = self.index_node(node.slice, frame, new_axes)
        value = Dyn(N.call("getitem", base.node, index)) if index.elts or not new_axes else base
        for axis in new_axes:
            value = self.prim_call(surface.NUMPY[np.expand_dims], [value, Static(axis)], {}, node)
        return value

    def index_node(self, node, frame, new_axes=None):
        """An index as a tuple node of names, constants and slices of those. With a list for
        `new_axes`, a None in the index is left out and the axis it adds to the result is
        appended there (its position: the slices and Nones before it)."""
        parts = node.elts if isinstance(node, gast.Tuple) else [node]
        out, axes, exact, ellipsis = [], 0, True, False
        for part in parts:
            if isinstance(part, gast.Slice):
                bounds = [None if b is None else self.atom(self.ev(b, frame), part, "a slice bound")
                          for b in (part.lower, part.upper, part.step)]
                out.append(gast.Slice(lower=bounds[0], upper=bounds[1], step=bounds[2]))
                axes += 1
                continue
            value = self.ev(part, frame)
            if isinstance(value, Static) and value.obj is Ellipsis:
                if ellipsis:
                    raise self.error(UnsupportedSyntaxError, "an index can only have one ellipsis ('...')", part)
                ellipsis = True          # analysis writes it out as slices, once x's rank is known
                out.append(N.const(Ellipsis))
                continue
            if isinstance(value, Static) and value.obj is None and new_axes is not None:
                if ellipsis:
                    raise self.error(UnsupportedSyntaxError, "a new axis (None) after `...` is not supported", part,
                                     "index with `:` for each axis before the None, or use np.expand_dims")
                if not exact:
                    raise self.error(UnsupportedSyntaxError, "a new axis (None) after an index that is not a "
                                     "constant is not supported", part,
                                     "put the None before it, or use np.expand_dims on the result")
                new_axes.append(axes)
                axes += 1
                continue
            if isinstance(value, Static) and not isinstance(value.obj, (int, np.integer)):
                raise self.error(UnsupportedSyntaxError, f"index {value.obj!r} is not supported", part,
                                 "index with integers, slices, an integer array"
                                 + (" or None (a new axis)" if new_axes is not None else ""))
            exact = exact and isinstance(value, Static)     # a runtime index may be an array of indices
            out.append(self.atom(value, part, "an index"))
        return N.tuple_(out)

    def ev_Slice(self, node, frame):
        raise self.error(UnsupportedSyntaxError, "a slice is only supported inside an index", node)

    def binop(self, op, left, right, node):
        if isinstance(left, Static) and isinstance(right, Static):
            fold = surface.FOLD_BINOPS.get(type(op))
            if fold is not None:
                try:
                    return Static(fold(left.obj, right.obj))
                except Exception as exc:
                    raise self.error(ResolveError, f"cannot compute constant expression: {exc}", node) from None
        if isinstance(op, gast.MatMult):
            return self.prim_call(surface.MATMUL_OP, [left, right], {}, node)
        prim = surface.BINOPS.get(type(op))
        if prim is None:
            raise self.error(UnsupportedSyntaxError, f"operator {type(op).__name__} on tensors is not supported",
                             node, "use + - * / @ **")
        return self.prim_call(surface.spec(prim), [left, right], {}, node)

    def ev_BinOp(self, node, frame):
        return self.binop(node.op, self.ev(node.left, frame), self.ev(node.right, frame), node)

    def ev_UnaryOp(self, node, frame):
        operand = self.ev(node.operand, frame)
        if isinstance(node.op, gast.UAdd):
            return operand
        if isinstance(operand, Static):
            fold = {gast.USub: operator.neg, gast.Not: operator.not_, gast.Invert: operator.invert}[type(node.op)]
            return Static(fold(operand.obj))
        if isinstance(node.op, gast.USub):
            return self.prim_call(surface.spec("neg"), [operand], {}, node)
        if isinstance(node.op, gast.Not):
            return self.prim_call(surface.spec("logical_not"), [operand], {}, node)
        raise self.error(UnsupportedSyntaxError, f"{type(node.op).__name__} on a runtime value is not supported",
                         node)

    def ev_Compare(self, node, frame):
        if len(node.ops) != 1:
            raise self.error(UnsupportedSyntaxError, "chained comparisons are not supported", node,
                             "split into two comparisons joined by `and`")
        left, right = self.ev(node.left, frame), self.ev(node.comparators[0], frame)
        if isinstance(left, Static) and isinstance(right, Static):
            return Static(_FOLD_CMP[type(node.ops[0])](left.obj, right.obj))
        if isinstance(node.ops[0], (gast.Is, gast.IsNot)) and Static(None) in (left, right):
            # a runtime value is never None
            return Static(isinstance(node.ops[0], gast.IsNot))
        prim = surface.COMPARE.get(type(node.ops[0]))
        if prim is None:
            raise self.error(UnsupportedSyntaxError, "this comparison needs constant operands", node)
        return self.prim_call(surface.spec(prim), [left, right], {}, node)

    def ev_BoolOp(self, node, frame):
        is_and = isinstance(node.op, gast.And)
        result = None
        for operand in node.values:
            value = self.ev(operand, frame)
            if isinstance(value, Static):
                if bool(value.obj) != is_and:     # decides the whole expression
                    return value if result is None else Static(not is_and)
                continue
            result = value if result is None else self.prim_call(
                surface.spec("logical_and" if is_and else "logical_or"), [result, value], {}, node)
        return result if result is not None else Static(is_and)

    def ev_IfExp(self, node, frame):
        test = self.ev(node.test, frame)
        if isinstance(test, (Static, Tup)):
            return self.ev(node.body if self.truth(test, node.test) else node.orelse, frame)
        cond = self.condition(test, node.test)
        line = self.lineno
        saved, body, orelse = self.stmts, [], []
        self.stmts = body
        a = self.ev(node.body, frame)
        self.stmts = orelse
        b = self.ev(node.orelse, frame)
        self.stmts = saved
        value = self.merge("v", a, b, body, orelse, node)
        stmt = gast.If(test=N.name(cond), body=body, orelse=orelse)
        stmt.lineno = line
        self.stmts.append(stmt)
        return value

    def ev_Call(self, node, frame):
        func = self.ev(node.func, frame)
        args = [self.ev(a, frame) for a in node.args]
        kwargs = {k.arg: self.ev(k.value, frame) for k in node.keywords}
        if isinstance(func, Method) and func.name in MOMENTS:
            return self.moment(func.name, [func.base] + args, kwargs, node, f"Tensor.{func.name}")
        if isinstance(func, Method):
            op_spec = surface.METHODS.get(func.name) or EXTRA_METHODS[func.name]
            return self.prim_call(op_spec, [func.base] + args, kwargs, node, f"Tensor.{func.name}")
        if not isinstance(func, Static):
            raise self.error(ResolveError, f"cannot call {self.describe(func)}", node)
        return self.call_static(func.obj, args, kwargs, node)

    def call_static(self, obj, args, kwargs, node):
        from .nn.cell import Cell
        from .ops import Primitive
        op_spec = self._spec_of(obj)
        if op_spec is not None:
            return self.prim_call(op_spec, args, kwargs, node, getattr(obj, "__name__", type(obj).__name__))
        composite = self.call_composite(obj, args, kwargs, node)
        if composite is not None:
            return composite
        if obj is checkpointed:
            return self.mark_checkpointed(args, kwargs, node)
        if isinstance(obj, Cell):
            if getattr(type(obj), "bprop", None) is not None:
                return self.call_custom_bprop(obj, args, kwargs, node)
            return self.call_function(type(obj).construct, obj, args, kwargs, node)
        if isinstance(obj, types.MethodType) and isinstance(obj.__self__, Cell):
            return self.call_function(obj.__func__, obj.__self__, args, kwargs, node)
        all_static = all(isinstance(a, Static) for a in args + list(kwargs.values()))
        if not all_static:
            special = self.call_runtime_builtin(obj, args, kwargs, node)
            if special is not None:
                return special
        from .tensor import Tensor
        static_call = (obj in _STATIC_BUILTINS or getattr(obj, "__module__", None) == "math"
                       or (isinstance(obj, type) and issubclass(obj, (Primitive, Tensor))))
        if static_call and all_static:
            try:
                return self.wrap_static(obj(*[a.obj for a in args], **{k: v.obj for k, v in kwargs.items()}))
            except Exception as exc:
                raise self.error(ResolveError, f"calling {getattr(obj, '__name__', obj)} failed: {exc}", node) from None
        if isinstance(obj, types.FunctionType) and not obj.__module__.startswith(("numpy", "s2sgrad")):
            return self.call_function(obj, None, args, kwargs, node)
        raise self.error(ResolveError, f"cannot differentiate a call to {getattr(obj, '__qualname__', repr(obj))[:60]}",
                         node, next((hint for f, hint in _CALL_HINTS.items() if f is obj),
                                    "call a primitive from s2sgrad.ops, a NumPy function, a sub-cell, or a helper "
                                    "function defined in a .py file"))

    def call_composite(self, obj, args, kwargs, node):
        """A form written out as several primitives here, each at the user's line (np.stack,
        np.outer, x.var(), ...), or None when obj is not one."""
        from .ops import JoinPrimitive, Split
        if isinstance(obj, Split):
            if len(args) != 1 or kwargs:
                raise self.error(ResolveError, "Split takes one tensor", node)
            return self.split(args[0], Static(obj.output_num), Static(obj.axis), node, "Split")
        if obj is np.split:
            given = dict(zip(("ary", "indices_or_sections", "axis"), args))
            if len(args) > 3 or set(kwargs) - {"indices_or_sections", "axis"} or set(kwargs) & set(given) \
                    or len(given) + len(kwargs) < 2:
                raise self.error(ResolveError, "np.split takes (ary, indices_or_sections, axis)", node)
            given.update(kwargs)
            return self.split(given["ary"], given["indices_or_sections"], given.get("axis", Static(0)), node,
                              "np.split")
        if obj is np.concatenate or obj is np.stack or hasattr(obj, "_s2s_join"):
            what = f"{'ops' if hasattr(obj, '_s2s_join') else 'np'}.{obj.__name__}"
            return self.join(getattr(obj, "_s2s_join", obj), args, kwargs, node, what)
        if isinstance(obj, JoinPrimitive):
            if len(args) != 1 or kwargs:
                raise self.error(ResolveError, f"{type(obj).__name__} takes one tuple of tensors", node)
            return self.join(type(obj).numpy, [args[0], Static(obj.axis)], {}, node, type(obj).__name__)
        if obj is np.outer:
            if len(args) != 2 or kwargs:
                raise self.error(ResolveError, "np.outer takes two arrays here", node)
            column, row = (self.prim_call(surface.NUMPY[np.reshape], [v, Static(shape)], {}, node, "np.outer")
                           for v, shape in zip(args, ((-1, 1), (1, -1))))
            return self.binop(gast.Mult(), column, row, node)
        if obj is np.var or obj is np.std:
            return self.moment(obj.__name__, args, kwargs, node, f"np.{obj.__name__}")
        return None

    def join(self, fn, args, kwargs, node, name):
        """np.concatenate / np.stack (and ops.Concat, ops.concat, ops.Stack, ...) of a tuple or
        list of arrays: Concat of two at a time from the left, each array given its new axis
        first for stack."""
        axis = kwargs.pop("axis", args[1] if len(args) == 2 else Static(0))
        seq = args[0] if args else None
        if isinstance(seq, Static) and isinstance(seq.obj, (tuple, list)):
            seq = Tup([self.wrap_static(x) for x in seq.obj])
        if (len(args) not in (1, 2) or kwargs or not isinstance(seq, Tup) or not seq.items
                or not isinstance(axis, Static) or not isinstance(axis.obj, (int, np.integer))):
            raise self.error(UnsupportedSyntaxError, f"{name} takes a tuple or list of arrays and a constant "
                             "integer axis here", node, "pass a tuple of arrays, e.g. (a, b), and an axis such as 1")
        items = seq.items
        if fn is np.stack:
            items = [self.prim_call(surface.NUMPY[np.expand_dims], [v, axis], {}, node, name) for v in items]
        value = items[0]
        for item in items[1:]:
            value = self.prim_call(surface.spec("concat2", "axis"), [value, item, axis], {}, node, name)
        return value

    def split(self, x, sections, axis, node, name):
        """np.split / ops.Split: a tuple of parts along a constant axis. A number of sections
        gives equal parts (split_part, whose rule says when the axis does not divide); a list
        of indices gives the slices between them (slice_axis)."""
        value = sections.obj if isinstance(sections, Static) else None
        is_int = lambda v: isinstance(v, (int, np.integer)) and not isinstance(v, bool)   # noqa: E731
        if not (isinstance(axis, Static) and is_int(axis.obj)
                and (is_int(value) and value >= 1 or isinstance(value, (list, tuple)) and all(map(is_int, value)))):
            raise self.error(UnsupportedSyntaxError, f"{name} takes a constant number of sections (or a list of "
                             "constant indices) and a constant axis here", node,
                             "split with numbers, e.g. np.split(x, 4, axis=1)")
        if is_int(value):
            part = surface.spec("split_part", "part", "parts", "axis")
            return Tup([self.prim_call(part, [x, Static(k), Static(int(value)), axis], {}, node, name)
                        for k in range(int(value))])
        piece = surface.spec("slice_axis", "start", "stop", "axis")
        bounds = [0] + [int(v) for v in value] + [None]
        return Tup([self.prim_call(piece, [x, Static(start), Static(stop), axis], {}, node, name)
                    for start, stop in zip(bounds, bounds[1:])])

    def moment(self, name, args, kwargs, node, what):
        """x.var() / x.std() and np.var / np.std (ddof 0): the mean of the squared deviations
        from the mean, as Tensor.var computes it eagerly; std its square root."""
        params = ("x", "axis", "ddof", "keepdims") if what.startswith("Tensor") else ("x", "axis", "dtype", "out",
                                                                                       "ddof", "keepdims")
        given = dict(zip(params, args))
        if not args or len(args) > len(params) or set(kwargs) - set(params) or set(kwargs) & set(given):
            raise self.error(ResolveError, f"{what} takes ({', '.join(params[1:])})", node)
        given.update(kwargs)
        for option, default in (("dtype", None), ("out", None), ("ddof", 0)):
            value = given.get(option, Static(default))
            if not (isinstance(value, Static) and value.obj == default):
                raise self.error(UnsupportedSyntaxError, f"{what} with {option} other than {default} is not "
                                 "supported", node, "leave it out: the variance divides by the count (ddof=0)")
        axis, keep = given.get("axis", Static(None)), given.get("keepdims", Static(False))
        mean = surface.METHODS["mean"]
        centre = self.prim_call(mean, [given["x"], axis, Static(True)], {}, node, what)
        deviation = self.binop(gast.Sub(), given["x"], centre, node)
        value = self.prim_call(mean, [self.binop(gast.Mult(), deviation, deviation, node), axis, keep], {}, node,
                               what)
        return self.prim_call(surface.NUMPY[np.sqrt], [value], {}, node, what) if name == "std" else value

    def mark_checkpointed(self, args, kwargs, node):
        every = kwargs.pop("every", args[1] if len(args) > 1 else Static(None))
        if len(args) not in (1, 2) or kwargs or not isinstance(every, Static):
            raise self.error(UnsupportedSyntaxError, "checkpointed takes a range and a constant `every`", node,
                             "write checkpointed(range(n), every=100)")
        try:
            checkpointed(None, every.obj)
        except ValueError as exc:
            raise self.error(UnsupportedSyntaxError, str(exc), node) from None
        return Checkpointed(RangeValue.of(args[0]), every.obj)

    def call_custom_bprop(self, cell, args, kwargs, node):
        """A Cell with `bprop(self, *inputs, out, dout)`: its construct runs in the forward
        without being differentiated; a marker statement carries the resolved bprop,
        which the reverse stage splices in as the region's backward (MindSpore's rule)."""
        if kwargs:
            raise self.error(UnsupportedSyntaxError, "a cell with a custom bprop takes positional arguments only",
                             node)
        inputs = [self.named(v, "x") for v in args]
        start = len(self.stmts)
        out = self.named(self.call_function(type(cell).construct, cell, inputs, {}, node), "out")
        for stmt in self.stmts[start:]:
            mark_not_differentiated(stmt)
        outputs = out.items if isinstance(out, Tup) else [out]
        douts = [Dyn(N.name(self.names.fresh("dout"))) for _ in outputs]
        dout = Tup(douts) if isinstance(out, Tup) else douts[0]
        saved, self.stmts = self.stmts, []
        grads = self.call_function(type(cell).bprop, cell, inputs + [out, dout], {}, node)
        grads = grads.items if isinstance(grads, Tup) else [grads]
        if len(grads) != len(inputs):
            raise self.error(ResolveError, f"{type(cell).__name__}.bprop returns {len(grads)} gradients for "
                             f"{len(inputs)} inputs", node, "return one gradient per input of construct, as a tuple")
        grads = [self.named(g, "dx") for g in grads]
        bprop_stmts, self.stmts = self.stmts, saved
        if any(isinstance(s, (gast.If, gast.For, gast.While)) for s in bprop_stmts):
            raise self.error(UnsupportedSyntaxError, "control flow on runtime values inside bprop is not supported",
                             node, "write bprop as straight-line code")
        marker = gast.Expr(value=N.const(None))
        marker.custom = dict(inputs=[v.node.id if isinstance(v, Dyn) else None for v in inputs],
                             outputs=[v.node.id for v in outputs], dout=[d.node.id for d in douts],
                             bprop=bprop_stmts, grads=[g.node if isinstance(g, Dyn) else None for g in grads])
        self._append(marker)
        return out

    def named(self, value, base):
        """A value with every runtime part bound to a name."""
        if isinstance(value, Tup):
            return Tup([self.named(v, base) for v in value.items])
        if isinstance(value, Dyn) and not isinstance(value.node, gast.Name):
            return self.emit(base, value.node)
        return value

    def call_runtime_builtin(self, obj, args, kwargs, node):
        """Builtins and math functions applied to runtime values."""
        if obj is len and len(args) == 1 and isinstance(args[0], Dyn):
            return Dyn(N.shape_of(args[0].node, 0))
        if obj is range:
            return RangeValue(args)
        if obj in (float, int) and len(args) == 1:
            return self.prim_call(surface.spec("to_scalar", dtype=np.float64 if obj is float else np.int64),
                                  args, {}, node, obj.__name__)
        if obj in (min, max) and len(args) == 2:
            return self.prim_call(surface.spec("minimum" if obj is min else "maximum"), args, {}, node, obj.__name__)
        if obj is abs and len(args) == 1:
            return self.prim_call(surface.spec("abs"), args, {}, node, "abs")
        if getattr(obj, "__module__", None) == "math" and obj.__name__ in MATH:
            return self.prim_call(surface.spec(MATH[obj.__name__]), args, kwargs, node, f"math.{obj.__name__}")
        return None

    @staticmethod
    def _spec_of(obj):
        from .ops import Primitive
        if isinstance(obj, Primitive):
            return obj.spec
        spec = getattr(obj, "_s2s_spec", None)
        if spec is not None:
            return spec
        try:
            return surface.NUMPY.get(obj) or ALLOCATION.get(obj)
        except TypeError:   # unhashable
            return None

    def prim_call(self, op_spec, args, kwargs, node, what=None):
        what = what or op_spec.prim
        try:
            operands, attrs = op_spec.bind(args, kwargs, what)
        except TypeError as exc:
            raise self.error(ResolveError, str(exc), node) from None
        prim = op_spec.primitive
        if prim.name == "assign":
            return self.assign_state(operands, node)
        call = N.call(prim.name, *[self.as_operand(v, node, what) for v in operands],
                      *[self.as_attr(self._as_value(attrs[a]), node, what) for a in prim.attrs])
        call.lineno, call.col_offset = node.lineno, node.col_offset
        call.source_key = self.lineno
        if op_spec.output is not None:
            return self.emit(prim.name, call).items[op_spec.output]
        if prim.n_out > 1:
            return self.emit(prim.name, call)
        return Dyn(call)

    def assign_state(self, operands, node):
        """ops.assign(param, value): record a state update (see state.py); later reads
        of the Parameter see the value. Returns the value, as Assign returns the variable."""
        target, value = operands
        name = target.node.id if isinstance(target, Dyn) and isinstance(target.node, gast.Name) else None
        known = [p for n, p in self.params.values() if n == name]
        known += [p for n, p, _ in self.updates.values() if n == name]
        param = known[0] if known else None
        if param is None:
            raise self.error(ResolveError, f"ops.assign writes into a Parameter, got {self.describe(target)}", node,
                             "pass a Parameter of the cell, e.g. ops.assign(self.moving_mean, new_value)")
        if self.stmts is not self.top_stmts or self.loop_depth:
            raise self.error(UnsupportedSyntaxError, "ops.assign inside a runtime `if` or loop is not supported",
                             node, "compute the new value in the branch or loop and assign it after")
        new = self.named(Dyn(self.as_operand(value, node, "ops.assign")), f"{name}_new")
        self.updates[id(param)] = (new.node.id, param, self.stack[-1].parsed.loc(node))
        return new

    def _as_value(self, v):
        if isinstance(v, (Static, Dyn, Tup, Method)):
            return v
        if isinstance(v, (tuple, list)) and any(isinstance(e, (Static, Dyn, Tup)) for e in v):
            return Tup([self._as_value(e) for e in v])      # x.reshape(n, -1): variadic arguments
        return self.wrap_static(v)

    # -- entry -----------------------------------------------------------------------
    def resolve(self, network, args):
        """`args`: the root's positional arguments; arrays are runtime inputs, the rest static."""
        from .nn.cell import Cell
        if isinstance(network, Cell):
            fn, self_obj = type(network).construct, network
        elif isinstance(network, types.MethodType):
            fn, self_obj = network.__func__, network.__self__
        else:
            fn, self_obj = network, None
        parsed = parse_function(fn)
        spec = parsed.tree.args
        arg_names = [a.id for a in spec.posonlyargs + spec.args][1 if self_obj is not None else 0:]
        values, inputs = [], []
        for i, value in enumerate(args):
            if isinstance(value, np.ndarray):
                name = self.names.fresh(arg_names[i] if i < len(arg_names) else f"arg{i}")
                inputs.append(name)
                values.append(Dyn(N.name(name)))
            else:
                inputs.append(None)
                values.append(Static(value))
        self.lineno = self.source_key(parsed.loc(parsed.tree))
        self.root_file = parsed.filename
        self.top_stmts = self.stmts
        out = self.call_function(fn, self_obj, values, {}, None)
        self.lineno = getattr(self, "return_lineno", self.lineno)
        ret = self.output_node(out, parsed)
        body = self.stmts + [ret]
        ret.lineno = self.stmts[-1].lineno if self.stmts else parsed.tree.lineno
        params = list(self.params.values())
        consts = list(self.consts.values())
        fn_def = N.function("forward", [n for n in inputs if n] + [n for n, _ in params] + [n for n, _ in consts],
                            body)
        fn_def.augmented = self.augmented       # `x += v` updates, checked once types are known (inplace.py)
        return Resolved(fn_def, inputs, params, consts, self.source, parsed.filename, list(self.updates.values()))

    def output_node(self, out, parsed):
        if isinstance(out, Dyn):
            return N.ret(out.node if isinstance(out.node, gast.Name) else self.emit("out", out.node).node)
        if isinstance(out, Tup):
            return N.ret(N.tuple_([self.output_node(v, parsed).value for v in out.items]))
        if isinstance(out, Static) and isinstance(out.obj, (bool, int, float)):
            return N.ret(N.const(out.obj))
        raise ResolveError(f"the network must return tensors, got {self.describe(out)}", parsed.loc(parsed.tree))


def resolve(network, args):
    """Resolve `network` (Cell, function or bound method) called with `args`."""
    return Resolver().resolve(network, args)
