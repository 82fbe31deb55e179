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

An element write `y[i] = v` does change y's array in place, as in NumPy, and the
gradient follows the write through `y`; but a view of y made before it (`row = y[1]`)
would show the new values where the gradient takes the view as it was made. So
`check_views` refuses a write when such a view (or an array y views) is read after it,
in the rest of the program or in its loop's next iteration.
"""
from dataclasses import dataclass

import gast

from . import normalize          # which imports this module: its functions are looked up when called
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


def may_be_array(aval):
    """Unknown (the value was dead code) counts as an array."""
    return aval is None or isinstance(aval, P.AVal) and aval.ndim >= 1


def check(updates, shared_pairs, avals, arguments, locate):
    """Refuse an update whose array another visible name may hold (see the module doc)."""
    if not updates:
        return
    edges = {}
    for target, source, is_view in shared_pairs:
        if not is_view or may_be_array(avals.get(target)):      # x[i] of a vector is a number, not a view
            edges.setdefault(target, set()).add(source)
            edges.setdefault(source, set()).add(target)
    for u in updates:
        if not may_be_array(avals.get(u.value)):
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


def check_views(body, avals, locate):
    """Refuse an element write into an array when a view of it (or an array it views),
    made before the write, is read after it: NumPy's view shows the written values, while
    s2sgrad's gradient takes the view as it was when made."""
    edges = {}
    for stmt in normalize.statements(body):
        if (isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name)
                and isinstance(stmt.value, gast.Call) and getattr(stmt.value.func, "id", None) in VIEWS
                and isinstance(stmt.value.args[0], gast.Name) and may_be_array(avals.get(stmt.targets[0].id))):
            view, base = stmt.targets[0].id, stmt.value.args[0].id
            edges.setdefault(view, set()).add(base)
            edges.setdefault(base, set()).add(view)
    if edges:
        _check_block(body, [], edges, locate)


def _check_block(stmts, path, edges, locate):
    for i, stmt in enumerate(stmts):
        here = path + [(stmts, i)]
        if isinstance(stmt, (gast.For, gast.While, gast.If)):
            _check_block(stmt.body, here, edges, locate)
            _check_block(stmt.orelse, here, edges, locate)
        elif isinstance(stmt, gast.Expr) and getattr(getattr(stmt.value, "func", None), "id", None) == "setitem":
            array = stmt.value.args[0].id
            for view in sorted(_shared(array, edges) - {array}):
                if _read_after(here, view):
                    raise UnsupportedSyntaxError(
                        f"`{view}` views the array this line writes into and is read after the write; NumPy's "
                        f"view shows the written values, which s2sgrad's gradient does not follow",
                        locate(stmt) if locate else None,
                        f"take a copy (`.copy()`) where `{view}` is made, or index the array again after the "
                        f"write")


def _shared(name, edges):
    """name and every array it views or that views it, through any chain of views."""
    found, todo = {name}, [name]
    while todo:
        for other in edges.get(todo.pop(), ()):
            if other not in found:
                found.add(other)
                todo.append(other)
    return found


def _read_after(path, name):
    """Whether some run of the program after the statement at the end of `path` (a list of
    (block, index) from the function body in) reads `name` before assigning it: the rest of
    each enclosing block, and each enclosing loop's body again (its next iteration)."""
    for depth in range(len(path) - 1, -1, -1):
        stmts, i = path[depth]
        use = _first_use(stmts[i + 1:], name)
        if use is not None:
            return use == "read"
        owner = path[depth - 1][0][path[depth - 1][1]] if depth else None
        if isinstance(owner, (gast.For, gast.While)) and _first_use(stmts, name) == "read":
            return True
    return False


def _first_use(stmts, name):
    """"read" or "set": what running stmts in order does to `name` first; None for neither.
    A loop (which may not run) or a branch (unless both of its blocks do) sets nothing."""
    for stmt in stmts:
        if isinstance(stmt, (gast.For, gast.While, gast.If)):
            header = stmt.iter if isinstance(stmt, gast.For) else stmt.test
            if name in normalize.names_in(header):
                return "read"
            uses = {_first_use(stmt.body, name), _first_use(stmt.orelse, name)}
            if "read" in uses:
                return "read"
            if isinstance(stmt, gast.If) and uses == {"set"}:
                return "set"
            continue
        read = normalize.names_in(stmt.value)
        if name in read or (isinstance(stmt, gast.AugAssign) and name in normalize.names_in(stmt.target)):
            return "read"
        if isinstance(stmt, gast.Assign) and name in normalize.names_in(stmt.targets[0]):
            return "set"
    return None
