"""Structured control flow: early `return`, `break` and `continue` rewritten into
plain `if` blocks before resolving, so every later stage sees blocks with one exit.

- `if c: return a` followed by more code becomes `if c: return a / else: <rest>`.
- `continue` guards the rest of the loop body with the negated branch.
- `break` sets a flag that ends the loop: `for i in range(...)` with a break becomes
  a `while` over the same index, and `while c:` becomes `while c and not flag:`.
"""

import gast

from . import nodes as N


def _walk_no_loops(node):
    """Nodes of `node` without descending into nested loops or functions."""
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        for child in gast.iter_child_nodes(n):
            if not isinstance(child, (gast.For, gast.While, gast.FunctionDef)):
                stack.append(child)


def _contains(stmts, kinds):
    return any(isinstance(n, kinds) for s in stmts for n in _walk_no_loops(s))


def lift_returns(stmts):
    """Make every path through `stmts` end in exactly one `return` (outside loops)."""
    out = []
    for i, s in enumerate(stmts):
        if isinstance(s, gast.Return):
            out.append(s)
            return out
        if isinstance(s, gast.If) and _contains([s], gast.Return):
            rest = stmts[i + 1:]
            lifted = gast.If(test=s.test, body=lift_returns(s.body + rest), orelse=lift_returns(s.orelse + rest))
            gast.copy_location(lifted, s)
            out.append(lifted)
            return out
        out.append(s)
    return out


def _remove_jumps(stmts, flag, counter):
    """Rewrite the jumps of one loop body; `flag` names the break flag."""
    out = []
    for i, s in enumerate(stmts):
        if isinstance(s, gast.Break):
            out.append(gast.copy_location(N.assign(N.name(flag, store=True), N.const(True)), s))
            return out
        if isinstance(s, gast.Continue):
            return out
        if isinstance(s, gast.If) and _contains([s], (gast.Break, gast.Continue)):
            rest = stmts[i + 1:]
            new = gast.If(test=s.test, body=_remove_jumps(s.body + rest, flag, counter),
                          orelse=_remove_jumps(s.orelse + rest, flag, counter))
            out.append(gast.copy_location(new, s))
            return out
        out.append(_structure_loops(s, counter))
    return out


def _not_flag(flag):
    return gast.UnaryOp(op=gast.Not(), operand=N.name(flag))


def _locate(nodes, origin):
    """New nodes carry the loop's position, for error messages."""
    for node in nodes:
        for n in N.walk(node):
            if "lineno" in getattr(n, "_attributes", ()) and getattr(n, "lineno", None) is None:
                gast.copy_location(n, origin)
    return nodes


def _rewrite_loop(loop, counter):
    has_break = _contains(loop.body, gast.Break)
    has_jump = has_break or _contains(loop.body, gast.Continue)
    if not has_jump:
        loop.body = [_structure_loops(s, counter) for s in loop.body]
        return [loop]
    flag = f"_break_{counter[0]}"
    counter[0] += 1
    body = _remove_jumps(loop.body, flag, counter)
    init = gast.copy_location(N.assign(N.name(flag, store=True), N.const(False)), loop)
    if isinstance(loop, gast.While):
        test = gast.BoolOp(op=gast.And(), values=[loop.test, _not_flag(flag)]) if has_break else loop.test
        new = gast.copy_location(gast.While(test=test, body=body, orelse=[]), loop)
        return _locate([init, new] if has_break else [new], loop)
    if not has_break:
        loop.body = body
        return [loop]
    # for i in range(a, b, s) with a break -> i = a; while <i in range> and not flag: body; i += s
    call = loop.iter
    if not (isinstance(call, gast.Call) and isinstance(call.func, gast.Name) and call.func.id == "range"
            and isinstance(loop.target, gast.Name)):
        return [loop]          # resolve reports the unsupported form at its line
    args = list(call.args)
    start, stop, step = (N.const(0), args[0], N.const(1)) if len(args) == 1 else (
        args[0], args[1], args[2] if len(args) > 2 else N.const(1))
    negative = isinstance(step, gast.UnaryOp) and isinstance(step.op, gast.USub) or (
        isinstance(step, gast.Constant) and step.value < 0)
    index = loop.target.id
    cmp = gast.Compare(left=N.name(index), ops=[gast.Gt() if negative else gast.Lt()], comparators=[stop])
    test = gast.BoolOp(op=gast.And(), values=[cmp, _not_flag(flag)])
    step_stmt = gast.AugAssign(target=N.name(index, store=True), op=gast.Add(), value=N.copy_tree(step))
    # the index advances even when the body ends early through `continue`
    new = gast.While(test=test, body=body + [gast.copy_location(step_stmt, loop)], orelse=[])
    start_stmt = gast.copy_location(N.assign(N.name(index, store=True), start), loop)
    return _locate([init, start_stmt, gast.copy_location(new, loop)], loop)


def _structure_loops(stmt, counter):
    if isinstance(stmt, (gast.For, gast.While)) and not stmt.orelse:
        out = _rewrite_loop(stmt, counter)
        return out[0] if len(out) == 1 else gast.If(test=N.const(True), body=out, orelse=[])
    if isinstance(stmt, gast.If):
        stmt.body = [_structure_loops(s, counter) for s in stmt.body]
        stmt.orelse = [_structure_loops(s, counter) for s in stmt.orelse]
    return stmt


def structure(tree):
    """A copy of a FunctionDef with structured control flow."""
    tree = N.copy_tree(tree)
    counter = [0]     # per function, so names are deterministic
    tree.body = lift_returns([_structure_loops(s, counter) for s in tree.body])
    return tree
