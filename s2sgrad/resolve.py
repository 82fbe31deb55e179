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
from .parse import parse_function


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


RESERVED = set(P.TABLE) | set(P.HELPER_KERNELS) | {
    "np", "forward", "backward", "value_and_grad", "residuals", "sens", "float16", "float32", "float64",
    "int8", "int16", "int32", "int64", "uint8", "bool_"}


class NameGen:
    """Deterministic unique names: `out`, `out_1`, `out_2`, ..."""

    def __init__(self):
        self.used = set(RESERVED)

    def fresh(self, base):
        base = re.sub(r"\W", "_", base)
        if base[:1].isdigit():
            base = "p" + base      # `0.weight` -> `p0_weight`
        if base.startswith("d_"):
            base = "v" + base      # `d_*` names are adjoints
        name, k = base, 0
        while name in self.used:
            k += 1
            name = f"{base}_{k}"
        self.used.add(name)
        return name


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


class Resolver:
    def __init__(self):
        self.names = NameGen()
        self.stmts = []
        self.params = {}     # id -> (name, Parameter)
        self.consts = {}     # id -> (name, ndarray)
        self.stack = []      # frames, for recursion detection and locations
        self.lineno = None
        self.source = {}     # source key -> SourceLoc
        self.source_keys = {}

    # -- errors --------------------------------------------------------------
    def error(self, cls, message, node, hint=None):
        frame = self.stack[-1]
        return cls(message, frame.parsed.loc(node), hint)

    # -- values --------------------------------------------------------------
    def wrap_static(self, obj):
        from .parameter import Parameter
        from .tensor import Tensor
        if isinstance(obj, Parameter):
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
        return Dyn(N.name(name))

    def _append(self, stmt):
        stmt.lineno = self.lineno
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
        saved_line = self.lineno
        try:
            result = self.exec_block(parsed.tree.body, frame)
        finally:
            self.stack.pop()
            self.lineno = saved_line
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
            if not isinstance(stmt.target, gast.Name):
                raise self.error(UnsupportedSyntaxError, "augmented assignment to an element or attribute is "
                                 "not supported", stmt, "assign to a local variable")
            value = self.binop(stmt.op, self.ev(stmt.target, frame), self.ev(stmt.value, frame), stmt)
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
            test = self.truth(self.ev(stmt.test, frame), stmt.test)
            return self.exec_block(stmt.body if test else stmt.orelse, frame)
        elif isinstance(stmt, gast.For):
            return self.exec_for(stmt, frame)
        else:
            raise self.error(UnsupportedSyntaxError, f"{type(stmt).__name__.lower()} statements are not "
                             "supported yet in differentiated code", stmt,
                             "write straight-line code; loops over tuples of cells and if on constants are folded")
        return None

    def truth(self, value, node):
        if isinstance(value, Static):
            return bool(value.obj)
        if isinstance(value, Tup):
            return bool(value.items)
        raise self.error(UnsupportedSyntaxError, "a condition on a runtime value is not supported yet", node,
                         "branch on constants or attributes of self; runtime branches are not implemented")

    def exec_for(self, stmt, frame):
        iterable = self.ev(stmt.iter, frame)
        if stmt.orelse:
            raise self.error(UnsupportedSyntaxError, "for/else is not supported", stmt, "drop the else block")
        if isinstance(iterable, Tup):
            items = iterable.items
        elif isinstance(iterable, Static) and isinstance(iterable.obj, (tuple, list, range)):
            items = [self.wrap_static(x) for x in iterable.obj]
        elif isinstance(iterable, Static) and hasattr(iterable.obj, "cell_list"):
            items = [Static(c) for c in iterable.obj.cell_list]
        else:
            raise self.error(UnsupportedSyntaxError, "a loop over a runtime value is not supported yet", stmt.iter,
                             "loop over a tuple of cells or a range with constant bounds")
        for node in gast.walk(stmt):
            if isinstance(node, (gast.Break, gast.Continue)):
                raise self.error(UnsupportedSyntaxError, "break/continue are not supported yet", node)
        for item in items:
            self.assign(stmt.target, item, frame)
            result = self.exec_block(stmt.body, frame)
            if result is not None:
                return result
        return None

    def assign(self, target, value, frame):
        if isinstance(target, gast.Name):
            if isinstance(value, Dyn):
                value = self.emit(target.id, value.node)
            elif isinstance(value, Tup):
                value = Tup([self.emit(target.id, v.node) if isinstance(v, Dyn) else v for v in value.items])
            frame.env[target.id] = value
        elif isinstance(target, (gast.Tuple, gast.List)):
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
        else:
            raise self.error(UnsupportedSyntaxError, "assigning to an element of an array is not supported yet",
                             target, "build the array with operations instead")

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
        for scope in (frame.closure, frame.globals, vars(builtins)):
            if node.id in scope:
                return self.wrap_static(scope[node.id])
        raise self.error(ResolveError, f"name '{node.id}' is not defined", node)

    def ev_Attribute(self, node, frame):
        base = self.ev(node.value, frame)
        if isinstance(base, Static):
            try:
                return self.wrap_static(getattr(base.obj, node.attr))
            except AttributeError:
                raise self.error(ResolveError, f"{self.describe(base)} has no attribute '{node.attr}'", node) from None
        if isinstance(base, Dyn):
            if node.attr in ("shape", "ndim", "size"):
                return Dyn(N.attribute(base.node, node.attr))
            if node.attr == "T":
                return self.prim_call(surface.spec("transpose", perm=None), [base], {}, node)
            if node.attr in surface.METHODS:
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
        index = self.ev(node.slice, frame)
        if isinstance(index, Static):
            if isinstance(base, Tup):
                return base.items[index.obj]
            if isinstance(base, Static):
                try:
                    return self.wrap_static(base.obj[index.obj])
                except (IndexError, KeyError, TypeError) as exc:
                    raise self.error(ResolveError, f"cannot index {self.describe(base)}: {exc}", node) from None
            if isinstance(base, Dyn) and isinstance(base.node, gast.Attribute) and base.node.attr == "shape":
                return Dyn(N.subscript(base.node, N.const(index.obj)))
        raise self.error(UnsupportedSyntaxError, "indexing or slicing a tensor is not supported yet", node,
                         "use Reshape/Transpose/ReduceSum, or compute the element outside construct")

    def ev_Slice(self, node, frame):
        raise self.error(UnsupportedSyntaxError, "slicing is not supported yet", node)

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
        raise self.error(UnsupportedSyntaxError, f"{type(node.op).__name__} on a runtime value is not supported yet",
                         node)

    def ev_Compare(self, node, frame):
        if len(node.ops) != 1:
            raise self.error(UnsupportedSyntaxError, "chained comparisons are not supported", node,
                             "split into two comparisons joined by `and`")
        left, right = self.ev(node.left, frame), self.ev(node.comparators[0], frame)
        if isinstance(left, Static) and isinstance(right, Static):
            return Static(_FOLD_CMP[type(node.ops[0])](left.obj, right.obj))
        prim = surface.COMPARE.get(type(node.ops[0]))
        if prim is None:
            raise self.error(UnsupportedSyntaxError, "this comparison needs constant operands", node)
        return self.prim_call(surface.spec(prim), [left, right], {}, node)

    def ev_BoolOp(self, node, frame):
        is_and = isinstance(node.op, gast.And)
        value = None
        for operand in node.values:
            value = self.ev(operand, frame)
            if not isinstance(value, Static):
                raise self.error(UnsupportedSyntaxError, "and/or on runtime values is not supported yet", operand)
            if bool(value.obj) != is_and:
                return value
        return value

    def ev_IfExp(self, node, frame):
        test = self.truth(self.ev(node.test, frame), node.test)
        return self.ev(node.body if test else node.orelse, frame)

    def ev_Call(self, node, frame):
        func = self.ev(node.func, frame)
        args = [self.ev(a, frame) for a in node.args]
        kwargs = {k.arg: self.ev(k.value, frame) for k in node.keywords}
        if isinstance(func, Method):
            return self.prim_call(surface.METHODS[func.name], [func.base] + args, kwargs, node,
                                  f"Tensor.{func.name}")
        if not isinstance(func, Static):
            raise self.error(ResolveError, f"cannot call {self.describe(func)}", node)
        return self.call_static(func.obj, args, kwargs, node)

    def call_static(self, obj, args, kwargs, node):
        from .nn.cell import Cell
        from .ops import Primitive
        op_spec = self._spec_of(obj)
        if op_spec is not None:
            return self.prim_call(op_spec, args, kwargs, node, getattr(obj, "__name__", type(obj).__name__))
        if isinstance(obj, Cell):
            return self.call_function(type(obj).construct, obj, args, kwargs, node)
        if isinstance(obj, types.MethodType) and isinstance(obj.__self__, Cell):
            return self.call_function(obj.__func__, obj.__self__, args, kwargs, node)
        if obj is len and len(args) == 1 and isinstance(args[0], Dyn):
            return Dyn(N.shape_of(args[0].node, 0))
        all_static = all(isinstance(a, Static) for a in args + list(kwargs.values()))
        static_call = (obj in _STATIC_BUILTINS or getattr(obj, "__module__", None) == "math"
                       or (isinstance(obj, type) and issubclass(obj, Primitive)))
        if static_call and all_static:
            try:
                return self.wrap_static(obj(*[a.obj for a in args], **{k: v.obj for k, v in kwargs.items()}))
            except Exception as exc:
                raise self.error(ResolveError, f"calling {getattr(obj, '__name__', obj)} failed: {exc}", node) from None
        if isinstance(obj, types.FunctionType) and not obj.__module__.startswith(("numpy", "s2sgrad")):
            return self.call_function(obj, None, args, kwargs, node)
        raise self.error(ResolveError, f"cannot differentiate a call to {getattr(obj, '__qualname__', repr(obj))[:60]}",
                         node, "call a primitive from s2sgrad.ops, a NumPy function, a sub-cell, or a helper "
                         "function defined in a .py file")

    @staticmethod
    def _spec_of(obj):
        from .ops import Primitive
        if isinstance(obj, Primitive):
            return obj.spec
        spec = getattr(obj, "_s2s_spec", None)
        if spec is not None:
            return spec
        try:
            return surface.NUMPY.get(obj)
        except TypeError:   # unhashable
            return None

    def prim_call(self, op_spec, args, kwargs, node, what=None):
        what = what or op_spec.prim
        try:
            operands, attrs = op_spec.bind(args, kwargs, what)
        except TypeError as exc:
            raise self.error(ResolveError, str(exc), node) from None
        prim = op_spec.primitive
        call = N.call(prim.name, *[self.as_operand(v, node, what) for v in operands],
                      *[self.as_attr(self._as_value(attrs[a]), node, what) for a in prim.attrs])
        call.lineno, call.col_offset = node.lineno, node.col_offset
        if op_spec.output is not None:
            return self.emit(prim.name, call).items[op_spec.output]
        if prim.n_out > 1:
            return self.emit(prim.name, call)
        return Dyn(call)

    def _as_value(self, v):
        if isinstance(v, (Static, Dyn, Tup, Method)):
            return v
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
        out = self.call_function(fn, self_obj, values, {}, None)
        self.lineno = getattr(self, "return_lineno", self.lineno)
        ret = self.output_node(out, parsed)
        body = self.stmts + [ret]
        ret.lineno = self.stmts[-1].lineno if self.stmts else parsed.tree.lineno
        params = list(self.params.values())
        consts = list(self.consts.values())
        fn_def = N.function("forward", [n for n in inputs if n] + [n for n, _ in params] + [n for n, _ in consts],
                            body)
        return Resolved(fn_def, inputs, params, consts, self.source, parsed.filename)

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
