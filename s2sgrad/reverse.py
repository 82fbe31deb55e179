"""Stage 5, reverse: splice adjoint templates into a backward function.

Walks the active statements of the A-normal forward in reverse, binds each
primitive's template (`templates/`) to the statement's names, and accumulates
each variable's adjoint in `d_<name>`. It knows nothing about individual
primitives: everything op-specific is in the primitive table and the templates.
"""
import copy
import functools
import inspect
import textwrap
from dataclasses import dataclass

import gast
import numpy as np

from . import nodes as N
from . import primitives as P
from . import surface
from .analyze import Typer
from .errors import S2SGradError
from .normalize import targets_of


def all_axes_but(axis, ndim):
    return tuple(a for a in range(ndim) if a != axis)


def inverse_permutation(perm, ndim):
    perm = P.full_perm(perm, ndim)
    return tuple(int(i) for i in np.argsort(perm))


def dtype_of(aval):
    return P.dtype_of(aval) if isinstance(aval, P.AVal) else np.result_type(aval)


# Helpers templates call on static values; evaluated while splicing.
STATIC_HELPERS = {"all_axes_but": all_axes_but, "inverse_permutation": inverse_permutation}
AVAL_HELPERS = {"dtype_of": dtype_of}


def static_node(value):
    if isinstance(value, np.dtype):
        return N.name(value.name if value != np.bool_ else "bool_")
    return N.literal(value)


@functools.lru_cache(maxsize=None)
def template_of(prim_name):
    from .templates import load_all
    fn = load_all().get(prim_name)
    if fn is None:
        return None
    tree = gast.parse(textwrap.dedent(inspect.getsource(fn))).body[0]
    return tree


def adjoint_name(var):
    return f"d_{var}"


@dataclass
class Backward:
    body: list           # statements of the backward function after residual unpacking
    grads: list          # one expression per differentiated argument


class Reverser:
    def __init__(self, analysis, locate):
        self.analysis = analysis
        self.typer = Typer(analysis.avals, locate)
        self.locate = locate
        self.adjoints = {}      # forward name -> adjoint name
        self.body = []

    def contribute(self, var, expr, lineno):
        if isinstance(expr, gast.Name) and var not in self.adjoints:
            self.adjoints[var] = expr.id       # d_x is d_z: alias, no copy
            return
        if var in self.adjoints:
            expr = N.call("add", N.name(self.adjoints[var]), expr)
        self.adjoints[var] = adjoint_name(var)
        stmt = N.assign(adjoint_name(var), expr, lineno)
        self.body.append(stmt)

    def seed(self, out_node, sens_node, lineno):
        if isinstance(out_node, gast.Name):
            if out_node.id in self.analysis.varied:
                self.contribute(out_node.id, sens_node, lineno)
        elif isinstance(out_node, gast.Tuple):
            for i, elt in enumerate(out_node.elts):
                self.seed(elt, N.subscript(sens_node, i), lineno)

    def statement(self, stmt):
        prim = P.TABLE[stmt.value.func.id]
        tree = template_of(prim.name)
        if tree is None:
            raise S2SGradError(f"{prim.name} has no adjoint template", self.locate(stmt))
        outs = targets_of(stmt)
        if not any(o in self.adjoints for o in outs):
            return
        params = [a.id for a in tree.args.args]
        args = stmt.value.args
        env = dict(zip(params[1:], args))
        env[params[0]] = N.name(outs[0]) if prim.n_out == 1 else N.tuple_([N.name(o) for o in outs])
        for tstmt in self.fold_ifs(tree.body, env):
            target = tstmt.targets[0]
            operand = env[target.slice.id]
            if not (isinstance(operand, gast.Name) and operand.id in self.analysis.varied):
                continue
            expr = self.substitute(tstmt.value, env, outs)
            self.contribute(operand.id, expr, stmt.lineno)

    def fold_ifs(self, stmts, env):
        for s in stmts:
            if isinstance(s, gast.If):
                test = self.static(self.substitute(s.test, env, None))
                yield from self.fold_ifs(s.body if test else s.orelse, env)
            else:
                yield s

    def static(self, node):
        if isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.Not):
            return not self.static(node.operand)
        return self.typer.static(node)

    def substitute(self, node, env, outs):
        """Template expression -> generated expression over the statement's names."""
        if isinstance(node, gast.Name):
            return copy.deepcopy(env[node.id]) if node.id in env else node
        if isinstance(node, gast.Subscript):
            if isinstance(node.value, gast.Name) and node.value.id == "d":
                var = self.substitute(node.slice, env, outs)
                if var.id in self.adjoints:
                    return N.name(self.adjoints[var.id])
                return N.call("zeros_like", var)
            base = self.substitute(node.value, env, outs)
            if isinstance(base, gast.Tuple):
                return base.elts[node.slice.value]
            return N.subscript(base, self.substitute(node.slice, env, outs))
        if isinstance(node, gast.Attribute):
            return N.attribute(self.substitute(node.value, env, outs), node.attr)
        if isinstance(node, gast.UnaryOp):
            operand = self.substitute(node.operand, env, outs)
            if isinstance(node.op, gast.Not):
                return N.const(not self.static(operand))
            if isinstance(operand, gast.Constant):
                return N.const(-operand.value if isinstance(node.op, gast.USub) else operand.value)
            return N.call("neg", operand) if isinstance(node.op, gast.USub) else operand
        if isinstance(node, gast.BinOp):
            left, right = (self.substitute(n, env, outs) for n in (node.left, node.right))
            if isinstance(left, gast.Constant) and isinstance(right, gast.Constant):
                return N.const(surface.FOLD_BINOPS[type(node.op)](left.value, right.value))
            return N.call(surface.BINOPS[type(node.op)], left, right)
        if isinstance(node, gast.Compare):
            left, right = self.substitute(node.left, env, outs), self.substitute(node.comparators[0], env, outs)
            return N.call(surface.COMPARE[type(node.ops[0])], left, right)
        if isinstance(node, gast.Call):
            fname = node.func.id
            args = [self.substitute(a, env, outs) for a in node.args]
            if fname in STATIC_HELPERS:
                return static_node(STATIC_HELPERS[fname](*[self.static(a) for a in args]))
            if fname in AVAL_HELPERS:
                return static_node(AVAL_HELPERS[fname](*[self.typer.type_expr(a) for a in args]))
            return N.call(fname, *args)
        if isinstance(node, gast.Tuple):
            return N.tuple_([self.substitute(e, env, outs) for e in node.elts])
        return copy.deepcopy(node)


def reverse(fn, analysis, wrt, locate):
    """Build the backward body for `fn` (A-normal form) and the gradients of `wrt`."""
    rev = Reverser(analysis, locate)
    ret = fn.body[-1]
    rev.seed(ret.value, N.name("sens"), ret.lineno)
    for stmt in reversed(analysis.active):
        rev.statement(stmt)
    grads = []
    for var in wrt:
        if var in rev.adjoints:
            grads.append(N.name(rev.adjoints[var]))
        else:
            grads.append(N.call("zeros_like", N.name(var)))
    return Backward(rev.body, grads)
