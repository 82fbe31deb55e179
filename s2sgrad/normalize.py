"""Stage 3, normalize: A-normal form. Every assignment holds one primitive call whose
operands are names or constants; nested calls become temporaries named after the
statement's target (`h_matmul`). Blocks of `if`, `for` and `while` are normalized
the same way. Statements whose results are never used are dropped."""
import gast

from . import inplace
from . import nodes as N
from . import primitives as P
from .resolve import NameGen


def names_in(node):
    return {n.id for n in N.nodes_of(node) if isinstance(n, gast.Name)}


def is_custom(stmt):
    """The marker of a custom-bprop cell (see resolve.call_custom_bprop)."""
    return isinstance(stmt, gast.Expr) and hasattr(stmt, "custom")


def targets_of(stmt):
    """Names a simple statement defines (a setitem defines its array anew)."""
    if is_custom(stmt):
        return []
    if isinstance(stmt, gast.Expr):
        return [stmt.value.args[0].id]
    target = stmt.targets[0]
    if isinstance(target, gast.Name):
        return [target.id]
    return [e.id for e in target.elts]


def is_prim_call(node):
    return isinstance(node, gast.Call) and getattr(node.func, "id", None) in P.TABLE


def normalize(fn, keep=()):
    """Return a new FunctionDef in A-normal form (the input is not changed). `keep`:
    names to keep alive though no output uses them (state updates, see state.py)."""
    names = NameGen()
    for node in N.walk(fn):
        if isinstance(node, gast.Name):
            names.used.add(node.id)
    body = _block(fn.body[:-1], names)
    ret = fn.body[-1]
    augmented = getattr(fn, "augmented", [])
    shared_pairs = inplace.sharing(statements(body)) if augmented else []
    body = _drop_dead(body, names_in(ret) | set(keep))
    out = N.function(fn.name, [a.id for a in fn.args.args], body + [ret])
    out.augmented, out.shared_pairs = augmented, shared_pairs      # for inplace.check
    return out


def _block(stmts, names):
    out = []
    for stmt in stmts:
        if isinstance(stmt, gast.If):
            new = gast.If(test=stmt.test, body=_block(stmt.body, names), orelse=_block(stmt.orelse, names))
        elif isinstance(stmt, gast.For):
            new = gast.For(target=stmt.target, iter=stmt.iter, body=_block(stmt.body, names), orelse=[],
                           type_comment=None)
            new.checkpoint = getattr(stmt, "checkpoint", False)
        elif isinstance(stmt, gast.While):
            new = gast.While(test=stmt.test, body=_block(stmt.body, names), orelse=[])
        elif is_custom(stmt):
            new = gast.Expr(value=stmt.value)
            new.custom = dict(stmt.custom, bprop=_block(stmt.custom["bprop"], names))
        elif isinstance(stmt, gast.Expr):
            new = gast.Expr(value=_flatten_call(stmt.value, stmt.value.args[0].id, names, out, stmt.lineno))
        else:
            value = stmt.value
            if is_prim_call(value):
                value = _flatten_call(value, targets_of(stmt)[0], names, out, stmt.lineno)
            new = N.assign(stmt.targets[0], value)
            new.merge = getattr(stmt, "merge", False)
        new.lineno = stmt.lineno
        new.no_grad = getattr(stmt, "no_grad", False)
        out.append(new)
    return out


def _flatten_call(call, base, names, body, lineno):
    prim = P.TABLE[call.func.id]
    args = list(call.args)
    for i in range(prim.n_in):
        arg = args[i]
        if is_prim_call(arg) or isinstance(arg, (gast.Subscript, gast.Attribute)):
            inner = _flatten_call(arg, base, names, body, lineno) if is_prim_call(arg) else arg
            label = arg.func.id if is_prim_call(arg) else "n"
            temp = names.fresh(f"{base}_{label}")
            stmt = N.assign(temp, inner)
            stmt.lineno = lineno
            body.append(stmt)
            args[i] = N.name(temp)
    return N.call(call.func.id, *args)


def statements(stmts):
    """Every statement, those inside if/for/while bodies included, in source order."""
    for s in stmts:
        yield s
        for child in ("body", "orelse"):
            yield from statements(getattr(s, child, []) if not isinstance(s, (gast.Assign, gast.Expr)) else [])


def _drop_dead(body, live_out):
    """Remove assignments whose names nothing reads (to a fixed point, across blocks)."""
    while True:
        used = set(live_out)
        for s in statements(body):
            if is_custom(s):
                c = s.custom
                used |= {n for n in c["inputs"] + c["outputs"] if n}
                for b in c["bprop"]:
                    used |= names_in(b.value)
            elif isinstance(s, gast.Assign):
                used |= names_in(s.value)
            elif isinstance(s, gast.Expr):
                used |= names_in(s.value)
            elif isinstance(s, gast.If):
                used |= names_in(s.test)
            elif isinstance(s, gast.For):
                used |= names_in(s.iter)
            elif isinstance(s, gast.While):
                used |= names_in(s.test)
        dropped = [False]

        def keep(stmts):
            out = []
            for s in stmts:
                if isinstance(s, gast.Assign) and not any(t in used for t in targets_of(s)):
                    dropped[0] = True
                    continue
                if isinstance(s, gast.Expr) and not is_custom(s) and targets_of(s)[0] not in used:
                    dropped[0] = True
                    continue
                if isinstance(s, (gast.If, gast.For, gast.While)):
                    s.body = keep(s.body)
                    s.orelse = keep(s.orelse)
                out.append(s)
            return out
        body = keep(body)
        if not dropped[0]:
            return body
