"""Lowering: primitive calls -> kernel calls, using abstract values. Shared by the
forward (codegen) and the backward (reverse), which types its own statements."""
import gast
import numpy as np

from . import nodes as N
from . import primitives as P
from .analyze import Typer


# Elementwise primitives written as Python operators in generated code: the same
# NumPy semantics as their kernels, and Numba compiles them without a call.
BINARY_OPERATORS = {"add": gast.Add, "sub": gast.Sub, "mul": gast.Mult, "div": gast.Div, "pow": gast.Pow,
                    "floordiv": gast.FloorDiv, "mod": gast.Mod}
COMPARE_OPERATORS = {"greater": gast.Gt, "less": gast.Lt, "greater_equal": gast.GtE, "less_equal": gast.LtE,
                     "equal": gast.Eq, "not_equal": gast.NotEq}


def operator_form(name, args):
    if name in BINARY_OPERATORS:
        return gast.BinOp(left=args[0], op=BINARY_OPERATORS[name](), right=args[1])
    if name in COMPARE_OPERATORS:
        return gast.Compare(left=args[0], ops=[COMPARE_OPERATORS[name]()], comparators=[args[1]])
    if name == "neg":
        return gast.UnaryOp(op=gast.USub(), operand=args[0])
    return None


class Lowerer:
    """Rewrites primitive calls into kernel calls; types statements as it goes."""

    def __init__(self, avals, locate=None, known=None, final_avals=None):
        self.typer = Typer(avals, locate, known)
        self.final = final_avals or avals     # merge variables keep their unified type

    def lower(self, node):
        if isinstance(node, gast.Tuple):
            return N.tuple_([self.lower(e) for e in node.elts])
        if not (isinstance(node, gast.Call) and getattr(node.func, "id", None) in P.TABLE):
            return node
        prim = P.TABLE[node.func.id]
        operands = node.args[:prim.n_in]
        attr_nodes = node.args[prim.n_in:]
        avals = [self.typer.type_expr(a) for a in operands]
        attrs = self.typer.attrs(prim, node)
        args = [self.lower(a) for a in operands]
        if prim.elementwise:
            strong = [P.dtype_of(a) for a in avals if isinstance(a, P.AVal)]
            if strong:       # weak Python constants take part as NumPy 2 does: int64 * 0.5 is float64
                dtype = np.result_type(*strong, *[a for a in avals if not isinstance(a, P.AVal)])
                args = [self.int_exponent(a) if self.keep_int_exponent(prim, i, a, avals) else P.dtype_cast(a, dtype)
                        if isinstance(a, gast.Constant) else a for i, a in enumerate(args)]
        if prim.lower is not None:
            return prim.lower(args, attr_nodes, avals, attrs)
        return operator_form(prim.name, args) or N.call(prim.name, *args, *attr_nodes)

    @staticmethod
    def keep_int_exponent(prim, i, arg, avals):
        """A scalar to an integer power stays integral: Numba multiplies instead of calling pow
        (4x faster in W3's step). So does a float power with a small integral value (`x ** 3.0`,
        and the `x ** 2.0` of its adjoint); both differ from pow's result by an ulp at most."""
        return (prim.name == "pow" and i == 1 and isinstance(arg, gast.Constant)
                and ((isinstance(arg.value, int) and not isinstance(arg.value, bool))
                     or (isinstance(arg.value, float) and arg.value.is_integer() and abs(arg.value) <= 16))
                and P.shape_of(avals[0]) == ())

    @staticmethod
    def int_exponent(arg):
        return arg if isinstance(arg.value, int) else N.const(int(arg.value))

    def statement(self, stmt):
        """Lower one simple statement and record the types of what it defines."""
        if getattr(stmt, "untyped", False):            # tape pops, pushes, counters
            return stmt
        if isinstance(stmt, gast.Expr):                # setitem -> y[index] = value
            self.typer.assign(stmt)
            call = self.lower_setitem(stmt.value)
            return self._line(call, stmt)
        if isinstance(stmt, gast.AugAssign):           # in-place accumulation into an adjoint
            return self._line(gast.AugAssign(target=stmt.target, op=stmt.op, value=self.lower(stmt.value)), stmt)
        if isinstance(stmt.targets[0], gast.Subscript):
            return self._line(N.assign(stmt.targets[0], self.lower(stmt.value)), stmt)
        self.typer.assign(stmt)
        value = stmt.value
        if getattr(stmt, "merge", False) and isinstance(value, gast.Constant):
            aval = self.final.get(stmt.targets[0].id)
            if isinstance(aval, P.AVal):
                value = P.dtype_cast(value, aval.dtype)
        out = N.assign(stmt.targets[0], self.lower(value))
        out.merge = getattr(stmt, "merge", False)
        return self._line(out, stmt)

    def lower_setitem(self, call):
        array, value, index = call.args
        aval = self.typer.type_expr(array)
        value = self.lower(value)
        if isinstance(value, gast.Constant):
            value = P.dtype_cast(value, aval.dtype)
        index = index.elts[0] if isinstance(index, gast.Tuple) and len(index.elts) == 1 else index
        return N.assign(gast.Subscript(value=array, slice=index, ctx=gast.Store()), value)

    @staticmethod
    def _line(new, old):
        new.lineno = getattr(old, "lineno", None)
        return new


def lower_block(stmts, lowerer):
    """Lower a forward block (nested blocks included); loop indices are int64."""
    out = []
    for stmt in stmts:
        if isinstance(stmt, gast.If):
            new = gast.If(test=stmt.test, body=lower_block(stmt.body, lowerer),
                          orelse=lower_block(stmt.orelse, lowerer))
        elif isinstance(stmt, gast.For):
            lowerer.typer.avals[stmt.target.id] = P.AVal(np.dtype(np.int64), ())
            new = gast.For(target=stmt.target, iter=stmt.iter, body=lower_block(stmt.body, lowerer), orelse=[],
                           type_comment=None)
        elif isinstance(stmt, gast.While):
            new = gast.While(test=stmt.test, body=lower_block(stmt.body, lowerer), orelse=[])
        else:
            new = lowerer.statement(stmt)
        new.lineno = getattr(stmt, "lineno", None)
        out.append(new)
    return out
