"""`while` loops that count run as `for` loops over a range.

A `while` loop's trip count is known only when it ends, so its reverse keeps its tapes in
growing lists: W4's pair loop written with `while j < n: ...; j += 1` took 27 times the
hand-written gradient, where the `for` form takes 1.3 times. A `while` whose condition
compares an int counter with a bound the loop does not change, and whose body ends by
stepping the counter by a constant, makes the iterations of a range. After resolve, such a
loop reads

    cond = less(j_1, n)              # just before the loop
    while cond:
        ...                          # reads j_1; assigns neither j_1 nor n
        j_2 = add(j_1, 1)
        cond = less(j_2, n)
        j_1 = j_2                    # among the carried variables' copies
and becomes

    for j_3 in range(j_1, n, 1):
        ...                          # reads j_3
    j_1 = maximum(j_1, n)            # the counter's value after the while

With a step other than 1 the counter keeps its updates inside the loop, so it ends as the
while left it. `<=`, `>` and `>=` (a negative step for the last two) and the bound on the
left work alike. Anything else (a float counter, a bound the body assigns, an increment
inside an `if`, a `break`'s flag in the condition) stays a `while`.

Runs after analyze, on its avals; the caller analyzes the rewritten function again."""
from collections import Counter

import gast

from . import nodes as N
from .chained_indexing import scalar_kind
from .normalize import statements

# comparison -> (the comparison with its operands swapped, the sign of step it counts with)
_COMPARE = {"less": ("greater", 1), "less_equal": ("greater_equal", 1),
            "greater": ("less", -1), "greater_equal": ("less_equal", -1)}


def convert(fn, avals):
    """Rewrite fn's counted while loops in place; whether any was."""
    loops = [s for s in statements(fn.body) if isinstance(s, gast.While)]
    if not loops:
        return False
    used = {n.id for n in N.walk(fn) if isinstance(n, gast.Name)}
    changed = False
    for block in _blocks(fn.body):
        at = 0
        while at < len(block):
            stmt = block[at]
            if isinstance(stmt, gast.While) and at and _convert(block, at, fn, avals, used):
                changed = True
            at += 1
    return changed


def _blocks(stmts):
    """Every statement list, nested ones first (an inner loop converts before its outer one)."""
    for stmt in stmts:
        for field in ("body", "orelse"):
            yield from _blocks(getattr(stmt, field, None) or [])
    yield stmts


def _call(stmt, names):
    """(target, primitive, args) of `target = prim(args)` with prim in names, else None."""
    if not (isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], gast.Name)):
        return None
    value = stmt.value
    if not (isinstance(value, gast.Call) and isinstance(value.func, gast.Name) and value.func.id in names):
        return None
    return stmt.targets[0].id, value.func.id, value.args


def _test(stmt):
    """(cond, counter, bound, comparison as counter OP bound) of `cond = less(counter, bound)`."""
    found = _call(stmt, _COMPARE)
    if found is None or len(found[2]) != 2:
        return None
    cond, op, (left, right) = found
    if isinstance(left, gast.Name) and not isinstance(right, gast.Name):
        return cond, left.id, right, op
    if isinstance(right, gast.Name) and not isinstance(left, gast.Name):
        return cond, right.id, left, _COMPARE[op][0]
    if isinstance(left, gast.Name) and isinstance(right, gast.Name):
        return cond, left.id, right, op           # which is the counter: the caller tries both
    return None


def _is_int(node, avals):
    """Whether an operand (a name or a constant) is an integer scalar."""
    return scalar_kind(node, avals) in ("i", "u")


def _same(a, b):
    if isinstance(a, gast.Name) and isinstance(b, gast.Name):
        return a.id == b.id
    return isinstance(a, gast.Constant) and isinstance(b, gast.Constant) and a.value == b.value


def _convert(block, at, fn, avals, used):
    loop, before = block[at], block[at - 1]
    if not isinstance(loop.test, gast.Name):
        return False
    head = _test(before)
    if head is None or head[0] != loop.test.id:
        return False
    bound_def = block[at - 2] if at >= 2 else None
    for swap in (False, True):
        found = _match(loop, head, swap, bound_def, avals)
        if found is not None:
            break
    else:
        return False
    counter, bound, op, step, incr, drop = found
    keep_counter = abs(step) != 1
    if keep_counter:                # the counter keeps its updates, and ends as the while left it
        drop = drop[1:-1]
    # what the dropped statements (all but the counter's copy) compute is read only by them
    dropped = [loop.body[i] for i in drop]
    reads = Counter(_reads([fn]))
    within = Counter(_reads(dropped)) + Counter([loop.test.id])
    if any(reads[t] != within[t] for s in dropped if not _defines(s, counter) for t in [s.targets[0].id]):
        return False
    index = N.unique(counter, used)
    stop, extra = N.clone(bound), []
    if op in ("less_equal", "greater_equal"):           # one step past the last value the test admits
        stop = N.name(N.unique(f"{counter}_stop", used))
        extra.append(N.assign(stop.id, N.call("add" if step > 0 else "sub", N.clone(bound), N.const(1)),
                              lineno=loop.lineno))
    body = [s for i, s in enumerate(loop.body) if i not in drop]
    _rename_reads(body[:incr], counter, index)
    new = gast.For(target=N.name(index, store=True), iter=N.call("range", N.name(counter), stop, N.const(step)),
                   body=body, orelse=[], type_comment=None)
    new.lineno = loop.lineno
    after = []
    if not keep_counter:            # the counter's value after the while: the first value past stop
        after.append(N.assign(counter, N.call("maximum" if step > 0 else "minimum", N.name(counter),
                                              N.clone(stop)), lineno=loop.lineno))
    block[at - 1:at + 1] = extra + [new] + after
    return True


def _match(loop, head, swap, bound_def, avals):
    """(counter, bound, comparison, step, the increment's position, the positions of the
    increment, the test's own statements and the counter's copy) when the loop counts."""
    _, counter, bound, op = head
    if swap:
        if not isinstance(bound, gast.Name):
            return None
        counter, bound, op = bound.id, N.name(counter), _COMPARE[op][0]
    if not (_is_int(N.name(counter), avals) and _is_int(bound, avals)):
        return None
    body = loop.body
    # the in-loop test: the last statement that is not a carried variable's copy
    cond_at = len(body) - 1
    while cond_at >= 0 and getattr(body[cond_at], "merge", False) and isinstance(body[cond_at].value, gast.Name):
        cond_at -= 1
    tail = _test(body[cond_at]) if cond_at >= 1 else None
    if tail is None or tail[0] != loop.test.id:
        return None
    _, incremented, tail_bound, tail_op = tail
    if tail_op != op and isinstance(tail_bound, gast.Name):        # both operands names: the other order
        incremented, tail_bound, tail_op = tail_bound.id, N.name(incremented), _COMPARE[tail_op][0]
    if tail_op != op:
        return None
    incr, drop = cond_at - 1, [cond_at]
    if not _same(tail_bound, bound):        # `while j < pos.shape[0]`: the bound read again before the test
        if not (isinstance(tail_bound, gast.Name) and _defines(body[incr], tail_bound.id)
                and _defines(bound_def, bound.id) and gast.dump(body[incr].value) == gast.dump(bound_def.value)
                and not any(isinstance(n, gast.Call) for n in N.walk(bound_def.value))):     # a shape read
            return None
        incr, drop = incr - 1, [incr] + drop
    step_of = _call(body[incr], {"add", "sub"}) if incr >= 0 else None
    if step_of is None or step_of[0] != incremented:
        return None
    _, how, args = step_of
    if how == "add" and isinstance(args[0], gast.Constant):
        args = args[::-1]
    if not (isinstance(args[0], gast.Name) and args[0].id == counter and isinstance(args[1], gast.Constant)
            and type(args[1].value) is int and args[1].value):
        return None
    step = args[1].value if how == "add" else -args[1].value
    if (step > 0) != (_COMPARE[op][1] > 0):
        return None
    copies = [i for i in range(cond_at + 1, len(body)) if body[i].targets[0].id == counter]
    if len(copies) != 1 or body[copies[0]].value.id != incremented:
        return None
    # nothing after the increment reads the counter (it would read the next value)
    if any(isinstance(n, gast.Name) and n.id == counter and isinstance(n.ctx, gast.Load)
           for s in body[incr + 1:] for n in N.walk(s)):
        return None
    # the loop assigns the counter and its increment once each, and nothing the bound reads
    assigned = [n.id for s in statements(body) for n in _targets(s)]
    bound_reads = set(_reads([bound_def.value if incr < cond_at - 1 else bound]))
    if assigned.count(counter) != 1 or assigned.count(incremented) != 1 or bound_reads & set(assigned):
        return None
    return counter, bound, op, step, incr, [incr] + drop + copies


def _defines(stmt, name):
    return (isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], gast.Name)
            and stmt.targets[0].id == name)


def _targets(stmt):
    if isinstance(stmt, gast.For):
        return [n for n in N.walk(stmt.target) if isinstance(n, gast.Name)]
    if isinstance(stmt, (gast.Assign, gast.AugAssign, gast.AnnAssign)):
        targets = stmt.targets if isinstance(stmt, gast.Assign) else [stmt.target]
        return [n for t in targets for n in N.walk(t) if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)]
    return []


def _reads(trees):
    return [n.id for tree in trees for n in N.walk(tree) if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load)]


def _rename_reads(stmts, old, new):
    """Reads of `old` become reads of `new`, as new nodes: resolve shares a value's node among its uses."""
    def renamed(node):
        is_read = isinstance(node, gast.Name) and node.id == old and isinstance(node.ctx, gast.Load)
        return N.name(new) if is_read else node
    for stmt in stmts:
        N.replace_children(stmt, renamed)
