"""Chained element reads as one read: `pos[i][k]` is `pos[i, k]` where i is an integer.

Written as two reads, `row = getitem(pos, (i,))` then `x = getitem(row, (k,))`, the row is
an array the backward needs (for the shape of its adjoint), so a loop tapes a view per
iteration and its backward makes and scatters a zero row per element read: W4's pair loop
written with `pos[i][k]` ran 130 times slower than with `pos[i, k]`. Where every index of
the first read is an integer scalar and the second read's index holds integers and slices
only, the second read becomes `getitem(pos, (i, k))`, which NumPy defines to be the same
element (integers before a slice select a row, then the slice indexes within it). The
first read is dropped where nothing else reads it.

Runs after analyze, on its avals: whether an index is an integer scalar and not an array
of indices is known only then. The names involved keep their values and avals."""
import gast
import numpy as np

from . import nodes as N
from . import primitives as P
from .normalize import statements, targets_of


def merge(fn, avals):
    """Rewrite fn's chained reads in place (see the module docstring)."""
    reads = [r for r in map(_getitem, statements(fn.body)) if r is not None]
    if not {r[0] for r in reads} & {r[1] for r in reads}:     # no getitem reads another's result
        return
    merged = set()
    _merge_block(fn.body, avals, assignment_counts(fn), merged)
    if merged:
        reads = _reads(fn.body)
        _drop(fn.body, {name for name in merged if name not in reads})


def _assigned(stmt):
    if isinstance(stmt, gast.For):
        return [n.id for n in gast.walk(stmt.target) if isinstance(n, gast.Name)]
    if isinstance(stmt, (gast.Assign, gast.Expr)):
        return targets_of(stmt)
    if isinstance(stmt, gast.AugAssign):          # x += v, x[...] += v
        target = stmt.target.value if isinstance(stmt.target, gast.Subscript) else stmt.target
        return [target.id] if isinstance(target, gast.Name) else []
    return []


def _getitem(stmt):
    """(target, array name, index elements) of `t = getitem(a, (...))`, else None."""
    if not (isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name)
            and isinstance(stmt.value, gast.Call) and getattr(stmt.value.func, "id", None) == "getitem"):
        return None
    array, index = stmt.value.args[0], stmt.value.args[1]
    if not (isinstance(array, gast.Name) and isinstance(index, gast.Tuple)):
        return None
    return stmt.targets[0].id, array.id, index.elts


def scalar_kind(node, avals):
    """NumPy's kind ("i", "u", "f", "b", ...) of a scalar operand (a constant, or a name whose
    aval is a number or a 0-d AVal); None for arrays and anything else."""
    if isinstance(node, gast.Constant):
        value_type = type(node.value)
    elif isinstance(node, gast.Name):
        aval = avals.get(node.id)
        if isinstance(aval, P.AVal):
            return aval.dtype.kind if aval.shape == () else None
        value_type = aval if isinstance(aval, type) else type(aval)
    else:
        return None
    if value_type in (bool, int, float) or issubclass(value_type, np.generic):
        return np.dtype(value_type).kind
    return None


def is_int_scalar(node, avals):
    """An integer scalar: not a bool, and not an array of indices."""
    return scalar_kind(node, avals) in ("i", "u")


def assignment_counts(fn):
    """name -> how many statements of fn bind it (its arguments count once)."""
    counts = {arg.id: 1 for arg in fn.args.args}
    for stmt in statements(fn.body):
        for name in _assigned(stmt):
            counts[name] = counts.get(name, 0) + 1
    return counts


def _merge_block(stmts, avals, assigned, merged):
    rows = {}          # row name -> (array name, its index elements, names they read)
    for stmt in stmts:
        if isinstance(stmt, (gast.For, gast.While, gast.If)):
            _merge_block(stmt.body, avals, assigned, merged)
            _merge_block(stmt.orelse, avals, assigned, merged)
        read = _getitem(stmt)
        if read is not None and read[1] in rows:
            array, first, _ = rows[read[1]]
            if all(isinstance(e, gast.Slice) or is_int_scalar(e, avals) for e in read[2]):
                stmt.value.args[0] = N.name(array)
                stmt.value.args[1] = N.tuple_([N.clone(e) for e in first] + read[2])
                merged.add(read[1])
        # a later statement changing what a row's read depends on ends the row's use here
        changed = {n for s in statements([stmt]) for n in _assigned(s)}
        rows = {row: r for row, r in rows.items() if not (changed & r[2]) and row not in changed}
        read = _getitem(stmt)
        if (read is not None and assigned.get(read[0]) == 1 and read[2]
                and all(is_int_scalar(e, avals) for e in read[2])):
            rows[read[0]] = (read[1], read[2], {read[1]} | {e.id for e in read[2] if isinstance(e, gast.Name)})


def _reads(stmts):
    return {n.id for s in stmts for n in gast.walk(s) if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load)}


def _drop(stmts, dead):
    stmts[:] = [s for s in stmts if not (isinstance(s, gast.Assign) and _getitem(s) and _getitem(s)[0] in dead)]
    for s in stmts:
        if isinstance(s, (gast.For, gast.While, gast.If)):
            _drop(s.body, dead)
            _drop(s.orelse, dead)
