"""Augmented assignment to a variable that shares its array.

`x += v` updates x's array in place in NumPy, so every other name and every view of
that array sees the change; s2sgrad gives `+=` value semantics and rebinds `x`. The
two agree unless the array is shared. Resolve records each `x += v` on a runtime
value (`Update`: x's value before it and the variables of that function and of its
callers); once analysis
knows which values are arrays, `check` refuses an update whose array may be shared
with a visible name: the same value, a view of it or what it views (getitem,
reshape, transpose, expand_dims, squeeze, broadcast_to with an array result), or a
value a loop or branch merges with it. A number (0-d) is never a view, and only a 0-d
input is mutable: its update is refused when another name holds that input.
"""
from dataclasses import dataclass

import gast

from . import primitives as P
from .errors import UnsupportedSyntaxError

VIEWS = {"getitem", "reshape", "transpose", "expand_dims", "squeeze", "broadcast_to"}


@dataclass
class Update:
    stmt: object        # the augmented assignment, for its location
    target: str         # the user's variable
    op: str             # "+", "-", ...
    value: str          # the name of its value before the update
    visible: dict       # other user variable -> the name of its value


def sharing(stmts):
    """(target, source, is_view) for each merge copy and view among `stmts` (every
    statement, nested ones included). normalize records them before dropping dead
    code: an update to a view the output never reads still changes the array the
    output reads."""
    out = []
    for stmt in stmts:
        if not (isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name)):
            continue
        target, value = stmt.targets[0].id, stmt.value
        if getattr(stmt, "merge", False) and isinstance(value, gast.Name):
            out.append((target, value.id, False))
        elif isinstance(value, gast.Call) and getattr(value.func, "id", None) in VIEWS and value.args \
                and isinstance(value.args[0], gast.Name):
            out.append((target, value.args[0].id, True))
    return out


def _may_be_array(aval):
    """Unknown (the value was dead code) counts as an array."""
    return aval is None or isinstance(aval, P.AVal) and aval.ndim >= 1


def check(updates, shared_pairs, avals, arguments, locate):
    """Refuse an update whose array another visible name may hold (see the module doc)."""
    if not updates:
        return
    edges = {}
    for target, source, is_view in shared_pairs:
        if not is_view or _may_be_array(avals.get(target)):      # x[i] of a vector is a number, not a view
            edges.setdefault(target, set()).add(source)
            edges.setdefault(source, set()).add(target)
    for u in updates:
        if not _may_be_array(avals.get(u.value)):
            # a number: NumPy's 0-d results are immutable scalars, but a 0-d input is an array
            if u.value in arguments and u.value in u.visible.values():
                _refuse(u, sorted(n for n, v in u.visible.items() if v == u.value), locate)
            continue
        shared, todo = {u.value}, [u.value]
        while todo:
            for other in edges.get(todo.pop(), ()):
                if other not in shared:
                    shared.add(other)
                    todo.append(other)
        holders = sorted(name for name, value in u.visible.items() if value in shared)
        if holders:
            _refuse(u, holders, locate)


def _refuse(u, holders, locate):
    raise UnsupportedSyntaxError(
        f"`{u.target} {u.op}= ...` would also change `{holders[0]}`, which shares its array (NumPy's "
        f"`{u.op}=` updates an array in place; s2sgrad would rebind `{u.target}`)",
        locate(u.stmt) if locate else None,
        f"write `{u.target} = {u.target} {u.op} ...` for a new array, or copy first: `{u.target} = {u.target}.copy()`")
