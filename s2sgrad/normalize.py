"""Stage 3, normalize: A-normal form. Every statement assigns one primitive call
whose operands are names or constants; nested calls become temporaries named
after the statement's target (`h_matmul`). Statements whose results are never
used are dropped."""
import gast

from . import nodes as N
from . import primitives as P
from .resolve import NameGen


def names_in(node):
    return {n.id for n in gast.walk(node) if isinstance(n, gast.Name)}


def targets_of(stmt):
    target = stmt.targets[0]
    if isinstance(target, gast.Name):
        return [target.id]
    return [e.id for e in target.elts]


def normalize(fn):
    """Return a new FunctionDef in A-normal form (the input is not changed)."""
    names = NameGen()
    for node in gast.walk(fn):
        if isinstance(node, gast.Name):
            names.used.add(node.id)
    body = []
    for stmt in fn.body[:-1]:
        base = targets_of(stmt)[0]
        value = stmt.value
        if isinstance(value, gast.Call) and value.func.id in P.TABLE:
            value = _flatten_call(value, base, names, body, stmt.lineno)
        body.append(_copy_line(N.assign(stmt.targets[0], value), stmt.lineno))
    ret = fn.body[-1]
    out = N.function(fn.name, [a.id for a in fn.args.args], _drop_dead(body, ret) + [ret])
    return out


def _flatten_call(call, base, names, body, lineno):
    prim = P.TABLE[call.func.id]
    args = list(call.args)
    for i in range(prim.n_in):
        arg = args[i]
        if isinstance(arg, gast.Call) and getattr(arg.func, "id", None) in P.TABLE:
            inner = _flatten_call(arg, base, names, body, lineno)
            temp = names.fresh(f"{base}_{arg.func.id}")
            body.append(_copy_line(N.assign(temp, inner), lineno))
            args[i] = N.name(temp)
    new = N.call(call.func.id, *args)
    return new


def _copy_line(stmt, lineno):
    stmt.lineno = lineno
    return stmt


def _drop_dead(body, ret):
    live = names_in(ret)
    kept = []
    for stmt in reversed(body):
        if any(t in live for t in targets_of(stmt)):
            kept.append(stmt)
            live |= names_in(stmt.value)
    return kept[::-1]
