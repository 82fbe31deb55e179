"""Stage 4, analyze: abstract values (dtype and shape) of every name, and activity:
a statement is active when it depends on a differentiated argument (varied) and
the output depends on it (useful). Only active statements get adjoints."""
from dataclasses import dataclass

import gast
import numpy as np

from . import primitives as P
from .errors import ShapeError
from .normalize import names_in, targets_of

DTYPE_NAMES = {"float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool_"}


class NotStatic(Exception):
    pass


class Typer:
    """Abstract values of names and expressions; `static` evaluates attribute
    expressions (literals, `x.shape[0]`, dtype names) at transpile time."""

    def __init__(self, avals, locate=None):
        self.avals = dict(avals)
        self.locate = locate or (lambda node: None)

    def static(self, node):
        if isinstance(node, gast.Constant):
            return node.value
        if isinstance(node, gast.Tuple):
            return tuple(self.static(e) for e in node.elts)
        if isinstance(node, gast.Name) and node.id in DTYPE_NAMES:
            return np.dtype(node.id if node.id != "bool_" else np.bool_)
        if isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.USub):
            return -self.static(node.operand)
        if isinstance(node, gast.Attribute) and isinstance(node.value, gast.Name):
            aval = self.avals[node.value.id]
            if node.attr == "shape":
                return P.shape_of(aval)
            if node.attr == "ndim":
                return len(P.shape_of(aval))
            if node.attr == "size":
                return int(np.prod(P.shape_of(aval)))
        if isinstance(node, gast.Subscript):
            return self.static(node.value)[self.static(node.slice)]
        raise NotStatic(node)

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
            attrs = self.attrs(prim, node)
            try:
                return prim.rule(*operands, *attrs.values())
            except P.RuleError as exc:
                raise ShapeError(str(exc), self.locate(node)) from None
        try:
            value = self.static(node)
        except (NotStatic, KeyError):
            raise ShapeError(f"cannot type expression {gast.dump(node)[:80]}", self.locate(node)) from None
        if isinstance(value, tuple):
            return tuple(value)
        return P.AVal(np.dtype(np.int64), ())

    def attrs(self, prim, node):
        values = {}
        for name, arg in zip(prim.attrs, node.args[prim.n_in:]):
            try:
                values[name] = self.static(arg)
            except NotStatic:
                raise ShapeError(f"the '{name}' argument of {prim.name} must be a constant", self.locate(node)) from None
        return values

    def assign(self, stmt):
        value = self.type_expr(stmt.value)
        names = targets_of(stmt)
        if len(names) == 1:
            self.avals[names[0]] = value
        else:
            for n, v in zip(names, value):
                self.avals[n] = v


@dataclass
class Analysis:
    avals: dict          # name -> AVal
    active: list         # active statements of the forward body, in order
    varied: set
    useful: set


def analyze(fn, arg_avals, wrt, locate=None):
    """Type `fn` (A-normal form) from its arguments' avals; find the active statements
    for differentiating with respect to the names in `wrt`."""
    typer = Typer(arg_avals, locate)
    body, ret = fn.body[:-1], fn.body[-1]
    for stmt in body:
        typer.assign(stmt)
    varied = set(wrt)
    for stmt in body:
        prim = P.TABLE[stmt.value.func.id] if isinstance(stmt.value, gast.Call) else None
        operands = stmt.value.args[:prim.n_in] if prim else []
        if prim and prim.differentiable and any(isinstance(a, gast.Name) and a.id in varied for a in operands):
            varied.update(targets_of(stmt))
    useful = names_in(ret)
    for stmt in reversed(body):
        if any(t in useful for t in targets_of(stmt)):
            useful |= names_in(stmt.value)
    active = [s for s in body if any(t in varied and t in useful for t in targets_of(s))]
    return Analysis(typer.avals, active, varied, useful)
