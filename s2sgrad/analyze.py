"""Stage 4, analyze: abstract values (dtype and shape) of every name, and activity:
a statement is active when it depends on a differentiated argument (varied) and
the output depends on it (useful). Only active statements get adjoints."""
from dataclasses import dataclass

import gast
import numpy as np

from . import inplace
from . import primitives as P
from .element_ops import DYN, UNKNOWN
from .errors import ShapeError
from .surface import FOLD_BINOPS
from .normalize import is_custom, names_in, targets_of

DTYPE_NAMES = {"float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool_"}
# Attributes that may hold runtime integers (indices, allocation shapes).
DYNAMIC_ATTRS = {"index", "shape"}


INT_ARITHMETIC = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
                  "floordiv": lambda a, b: a // b, "mod": lambda a, b: a % b}


class NotStatic(Exception):
    pass


class Typer:
    """Abstract values of names and expressions; `static` evaluates attribute
    expressions (literals, `x.shape[0]`, dtype names) at transpile time."""

    def __init__(self, avals, locate=None, known=None):
        self.avals = dict(avals)
        self.known = dict(known or {})       # int scalars whose value is known while transpiling
        self.locate = locate or (lambda node: None)

    def static(self, node, dynamic=False):
        if isinstance(node, gast.Constant):
            return node.value
        if isinstance(node, gast.Tuple):
            return tuple(self.static(e, dynamic) for e in node.elts)
        if isinstance(node, gast.Name) and node.id in DTYPE_NAMES:
            return np.dtype(node.id if node.id != "bool_" else np.bool_)
        if isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.USub):
            value = self.static(node.operand, dynamic)
            return DYN if value is DYN else -value
        if isinstance(node, gast.Attribute) and isinstance(node.value, gast.Name):
            aval = self.avals[node.value.id]
            if node.attr == "shape":
                return P.shape_of(aval)
            if node.attr == "ndim":
                return len(P.shape_of(aval))
            if node.attr == "size":
                return int(np.prod(P.shape_of(aval)))
            if node.attr == "dtype":
                return P.dtype_of(aval) if isinstance(aval, P.AVal) else np.result_type(aval)
        if isinstance(node, gast.Subscript):
            base, index = self.static(node.value, dynamic), self.static(node.slice, dynamic)
            if isinstance(base, tuple):
                self.check_shape_index(node, base, index)
            value = base[index]
            return DYN if value is UNKNOWN else value
        if isinstance(node, gast.Name) and node.id in self.known:
            return self.known[node.id]
        if isinstance(node, gast.Call) and getattr(node.func, "id", None) in INT_ARITHMETIC:
            args = [self.static(a, dynamic) for a in node.args]
            return DYN if DYN in args else INT_ARITHMETIC[node.func.id](*args)
        if isinstance(node, gast.BinOp) and type(node.op) in FOLD_BINOPS:
            left, right = self.static(node.left, dynamic), self.static(node.right, dynamic)
            return DYN if DYN in (left, right) else FOLD_BINOPS[type(node.op)](left, right)
        if dynamic:
            if isinstance(node, gast.Slice):
                parts = [None if p is None else self.static(p, True) for p in (node.lower, node.upper, node.step)]
                return slice(*parts)
            if isinstance(node, gast.Name) and node.id in self.avals:
                aval = self.avals[node.id]
                return DYN if isinstance(aval, P.AVal) and aval.ndim == 0 else aval
        raise NotStatic(node)

    def check_shape_index(self, node, shape, index):
        """`x.shape[i]` and `n, d = x.shape` (resolve.shape_items) as Python would allow them."""
        if not isinstance(node.value, gast.Attribute):
            return
        count = getattr(node, "unpacked_into", None)
        what = f"`{node.value.value.id}`" if isinstance(node.value.value, gast.Name) else "the array"
        if count is not None and count != len(shape):
            raise ShapeError(f"cannot unpack the shape of {what}, which has {len(shape)} dimensions, "
                             f"into {count} names", self.locate(node))
        if isinstance(index, (int, np.integer)) and not -len(shape) <= index < len(shape):
            raise ShapeError(f"index {index} is out of range for the shape of {what}, which has "
                             f"{len(shape)} dimensions", self.locate(node))

    def type_expr(self, node):
        """AVal of an expression (a Python number for weak constants)."""
        if isinstance(node, gast.Name):
            return self.avals[node.id]
        if isinstance(node, gast.Constant):
            return node.value
        if isinstance(node, gast.Tuple):
            return tuple(self.type_expr(e) for e in node.elts)
        if isinstance(node, gast.Subscript) and isinstance(node.value, gast.Name):
            base = self.avals[node.value.id]
            if isinstance(base, tuple):
                return base[self.static(node.slice)]
        if isinstance(node, gast.Call) and getattr(node.func, "id", None) in P.TABLE:
            prim = P.TABLE[node.func.id]
            operands = [self.type_expr(a) for a in node.args[:prim.n_in]]
            if prim.name in ("getitem", "setitem"):
                self.write_out_ellipsis(node.args[-1], operands[0], node)
            attrs = self.attrs(prim, node)
            try:
                return prim.rule(*operands, *attrs.values())
            except P.RuleError as exc:
                raise ShapeError(str(exc), self.locate(node)) from None
        try:
            value = self.static(node)
        except (NotStatic, KeyError, TypeError):
            return P.AVal(np.dtype(np.int64), ())      # a runtime integer, e.g. i + 1
        if isinstance(value, tuple):
            return tuple(value)
        return P.AVal(np.dtype(np.int64), ())

    def write_out_ellipsis(self, index, array, node):
        """`x[..., 0]` (resolve keeps the `...`): the index, in place, with a full slice for
        each axis the ellipsis stands for."""
        if not isinstance(index, gast.Tuple):
            return
        at = [k for k, e in enumerate(index.elts) if isinstance(e, gast.Constant) and e.value is Ellipsis]
        if not at:
            return
        fill = len(P.shape_of(array)) - (len(index.elts) - 1)
        if fill < 0:
            raise ShapeError(f"too many indices ({len(index.elts) - 1}) for a {len(P.shape_of(array))}-d array",
                             self.locate(node))
        full = [gast.Slice(lower=None, upper=None, step=None) for _ in range(fill)]
        index.elts[at[0]:at[0] + 1] = full

    def attrs(self, prim, node):
        values = {}
        for name, arg in zip(prim.attrs, node.args[prim.n_in:]):
            try:
                values[name] = self.static(arg, dynamic=name in DYNAMIC_ATTRS)
            except (NotStatic, KeyError):
                raise ShapeError(f"the '{name}' argument of {prim.name} must be a constant", self.locate(node)) from None
        return values

    def assign(self, stmt):
        if is_custom(stmt):                        # a custom bprop is typed where the backward runs it
            return
        if isinstance(stmt, gast.Expr):           # setitem: checks the index, defines nothing new
            self.type_expr(stmt.value)
            return
        try:
            value = self.type_expr(stmt.value)
        except ShapeError as exc:
            if exc.loc is not None or self.locate(stmt) is None:
                raise
            # the call itself carries no source key after normalizing; its statement does
            raise ShapeError(exc.message, self.locate(stmt), exc.hint) from None
        names = targets_of(stmt)
        if len(names) == 1:
            self.bind(names[0], value, stmt)
            if isinstance(value, P.AVal) and value.ndim == 0 and not getattr(stmt, "merge", False):
                try:
                    known = self.static(stmt.value)
                    if isinstance(known, (int, np.integer)):
                        self.known[names[0]] = int(known)
                except (NotStatic, KeyError, TypeError, IndexError):
                    pass
        else:
            for n, v in zip(names, value):
                self.bind(n, v, stmt)

    def bind(self, name, value, stmt):
        old = self.avals.get(name)
        if old is None or not getattr(stmt, "merge", False):
            self.avals[name] = value
            return
        self.avals[name] = unify(old, value, name, self.locate(stmt))

    def block(self, stmts):
        for stmt in stmts:
            if isinstance(stmt, gast.If):
                self.block(stmt.body)
                self.block(stmt.orelse)
            elif isinstance(stmt, (gast.For, gast.While)):
                if isinstance(stmt, gast.For):
                    self.avals[stmt.target.id] = P.AVal(np.dtype(np.int64), ())
                for _ in range(3):           # merge variables may widen once (a weak 0.0 meets float32)
                    before = dict(self.avals)
                    self.block(stmt.body)
                    if all(before.get(k) == v for k, v in self.avals.items()):
                        break
            else:
                self.assign(stmt)


def unify(old, new, name, loc):
    """The one type of a variable assigned on several paths or iterations."""
    for weak, strong in ((old, new), (new, old)):
        if not isinstance(weak, P.AVal) and isinstance(strong, P.AVal) and strong.ndim:
            raise ShapeError(f"`{name}` is a number on one path and an array {strong} on another; a variable "
                             "must keep one type", loc, "give it an array value on every path (e.g. np.full(...))")
    if not isinstance(old, P.AVal):
        return new if isinstance(new, P.AVal) else old
    if not isinstance(new, P.AVal):
        return old
    if old.ndim != new.ndim or (old.ndim and old.dtype != new.dtype):
        raise ShapeError(f"`{name}` is {old} on one path and {new} on another; a variable must keep one type",
                         loc, "convert explicitly so every path assigns the same kind of value")
    shape = tuple(a if a == b else UNKNOWN for a, b in zip(old.shape, new.shape))
    return P.AVal(np.result_type(old.dtype, new.dtype), shape)


@dataclass
class Analysis:
    avals: dict          # name -> AVal
    varied: set
    useful: set
    known: dict


def dependencies(stmts):
    """(targets, differentiable operand names) of every simple statement, nested blocks included."""
    for stmt in stmts:
        if isinstance(stmt, (gast.If, gast.For, gast.While)):
            yield from dependencies(stmt.body)
            yield from dependencies(stmt.orelse)
            continue
        if is_custom(stmt):                        # outputs depend on inputs through the custom bprop
            yield stmt.custom["outputs"], [n for n in stmt.custom["inputs"] if n]
            continue
        if getattr(stmt, "no_grad", False):
            yield targets_of(stmt), []
            continue
        value = stmt.value
        if isinstance(value, gast.Name):
            yield targets_of(stmt), [value.id]
        elif isinstance(value, gast.Call) and value.func.id in P.TABLE:
            prim = P.TABLE[value.func.id]
            operands = [a.id for a in value.args[:prim.n_in] if isinstance(a, gast.Name)]
            yield targets_of(stmt), operands if prim.differentiable else []
        else:
            yield targets_of(stmt), []


def analyze(fn, arg_avals, wrt, locate=None):
    """Type `fn` (A-normal form) from its arguments' avals; find what is active for
    differentiating with respect to the names in `wrt`."""
    typer = Typer(arg_avals, locate)
    body, ret = fn.body[:-1], fn.body[-1]
    typer.block(body)
    inplace.check(getattr(fn, "augmented", ()), getattr(fn, "shared_pairs", ()), typer.avals,
                  {a.id for a in fn.args.args}, locate)
    inplace.check_views(body, typer.avals, locate)
    deps = list(dependencies(body))
    varied = set(wrt)
    changed = True
    while changed:
        changed = False
        for targets, operands in deps:
            if any(o in varied for o in operands) and not all(t in varied for t in targets):
                varied.update(targets)
                changed = True
    useful = names_in(ret)
    changed = True
    while changed:
        changed = False
        for targets, operands in deps:
            if any(t in useful for t in targets) and not all(o in useful for o in operands):
                useful.update(operands)
                changed = True
    return Analysis(typer.avals, varied, useful, typer.known)


def is_active(stmt, analysis):
    return any(t in analysis.varied and t in analysis.useful for t in targets_of(stmt))
