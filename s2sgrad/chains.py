"""Shorter dependency chains in the lowered backward. Reverse mode writes each adjoint
as a sum of contributions, which is correct but puts every multiply of a loop body on
the chain that carries an adjoint from one iteration to the next; the CPU then waits on
latency, not throughput. Three rewrites, each valid because adjoints are linear:

1. fold_zero_inits: `d = float64(0)` then `d = d + e` becomes `d = e` (LLVM may not
   drop `0.0 + e` on its own: it differs from e for e = -0.0); so does `d = zeros_like(y)`
   then `d = d + e` when e computes a new array of y's shape and dtype (an allocation
   and an add fewer per iteration of an RNN's backward).
2. promote_accumulators: in a loop, `d[i, j] += e` at an index the loop never changes
   accumulates in a scalar that is added to d[i, j] once, after the loop; the store ->
   load round trip through memory leaves the chain.
3. preaccumulate: a straight-line scalar loop body that carries one adjoint s runs with
   s = 1 (off the chain: nothing in it waits for the previous iteration), then scales
   the results by the carried value: s costs one multiply per iteration. With k carried
   adjoints (k <= 2) the body's adjoint statements run k times, once per unit seed, and
   each carried adjoint costs k multiplies and k - 1 adds.

Rounding differs from the unrewritten code in the last bits (sums are reassociated); a
zero gradient may come out as -0.0.

Before them, as soon as the backward is lowered (so that fused_loops.py moves the
shorter code), merge_repeated_terms: `d = e * x` then `d = d + e * x`, the two equal
contributions of `x * x`, become `d = (e + e) * x`: one multiply and one add fewer.
Doubling is exact, so this form gives the same bits; after `d = d + e * x` twice, the
sum is reassociated."""
import gast
import numpy as np

from . import nodes as N
from . import primitives as P
from .normalize import names_in, statements

DTYPES = {"float16", "float32", "float64"}


def shorten(body, adjoints, avals):
    """Apply the three rewrites to a backward body (a list of lowered statements).
    adjoints: the names holding adjoint values; avals: the lowered names' types."""
    names = Names(body)
    body = fold_zero_inits(body, adjoints, avals)
    body = promote_accumulators(body, adjoints, avals, names)
    body = preaccumulate(body, body, adjoints, avals, names)
    return fold_zero_inits(body, adjoints | names.made, avals)     # the parts preaccumulate starts at 0


class Names:
    """Fresh names that collide with nothing in the function, nor with `also` (the body is
    walked only when a name is needed)."""

    def __init__(self, body, also=()):
        self.body, self.also, self.used, self.made = body, also, None, set()
        self.counters = {}

    def fresh(self, base):
        if self.used is None:
            self.used = set(self.also).union(*map(names_in, self.body))
        name = N.unique(base, self.used, self.counters)
        self.made.add(name)
        return name


# -- helpers -------------------------------------------------------------------------------
def mentions(node, name):
    return any(isinstance(n, gast.Name) and n.id == name for n in N.walk(node))


def assigned(stmts):
    out = set()
    for s in stmts:
        for n in N.walk(s):
            for t in getattr(n, "targets", [getattr(n, "target", None)]):
                if t is not None:
                    out |= {x.id for x in N.walk(t) if isinstance(x, gast.Name) and isinstance(x.ctx, gast.Store)}
    return out


def typed_constant(node):
    """The dtype name of a typed constant `float64(0.5)`, else None."""
    if (isinstance(node, gast.Call) and isinstance(node.func, gast.Name) and node.func.id in DTYPES
            and len(node.args) == 1 and isinstance(node.args[0], gast.Constant)):
        return node.func.id
    return None


def zero_of(node):
    """The dtype name of a typed zero `float64(0)`, else None."""
    return typed_constant(node) if typed_constant(node) and node.args[0].value == 0 else None


def simple_assign(stmt):
    """(target name, value) of `name = value`, else None."""
    if isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], gast.Name):
        return stmt.targets[0].id, stmt.value
    return None


def accumulation(stmt, name):
    """e of `name = name + e` where e does not read name, else None."""
    a = simple_assign(stmt)
    if a is None or a[0] != name:
        return None
    value = a[1]
    if (isinstance(value, gast.BinOp) and isinstance(value.op, gast.Add) and isinstance(value.left, gast.Name)
            and value.left.id == name and not mentions(value.right, name)):
        return value.right
    return None


def scalar_dtype(name, avals):
    aval = avals.get(name)
    if isinstance(aval, P.AVal) and aval.ndim == 0 and np.issubdtype(aval.dtype, np.floating):
        return aval.dtype.name
    return None


def expr_dtype(node, avals):
    """The dtype name of a lowered scalar float expression, or None when it is not sure."""
    if isinstance(node, gast.Name):
        return scalar_dtype(node.id, avals)
    if isinstance(node, gast.Constant):
        return "weak" if isinstance(node.value, (int, float)) and not isinstance(node.value, bool) else None
    if isinstance(node, gast.Call) and isinstance(node.func, gast.Name) and node.func.id in DTYPES:
        return node.func.id
    if isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.USub):
        return expr_dtype(node.operand, avals)
    if isinstance(node, gast.BinOp) and isinstance(node.op, (gast.Add, gast.Sub, gast.Mult, gast.Div)):
        parts = {expr_dtype(node.left, avals), expr_dtype(node.right, avals)} - {"weak"}
        if None in parts:
            return None
        return np.result_type(*parts).name if parts else "weak"
    return None


# -- 0. repeated terms (run by reverse.py right after lowering) ------------------------------
def merge_repeated_terms(stmts):
    """Rewrites `stmts` (and the blocks they hold) in place; see the module doc."""
    for stmt in stmts:
        for field in ("body", "orelse"):
            if isinstance(getattr(stmt, field, None), list):
                merge_repeated_terms(getattr(stmt, field))
    out = []
    for stmt in stmts:
        merged = _merged(out[-1], stmt) if out else None
        if merged is None:
            out.append(stmt)
        else:
            out[-1] = merged
    stmts[:] = out                 # in place: a loop body's list is also its block's
    return stmts


def _merged(first, second):
    """`d = (e + e) * x` (or `d = d + (e + e) * x`) for `first`, `second` as in the module
    doc, else None."""
    if any(getattr(s, "untyped", False) or getattr(s, "merge", False) for s in (first, second)):
        return None
    a = simple_assign(second)
    term = accumulation(second, a[0]) if a else None
    if not (isinstance(term, gast.BinOp) and isinstance(term.op, gast.Mult) and _pure(term)):
        return None
    b = simple_assign(first)
    if b is None or b[0] != a[0]:
        return None
    doubled = gast.BinOp(left=gast.BinOp(left=N.copy_tree(term.left), op=gast.Add(), right=N.copy_tree(term.left)),
                         op=gast.Mult(), right=term.right)
    if gast.dump(b[1]) == gast.dump(term):
        return lined(N.assign(a[0], doubled), first)
    earlier = accumulation(first, a[0])
    if earlier is not None and gast.dump(earlier) == gast.dump(term):
        return lined(N.assign(a[0], gast.BinOp(left=N.name(a[0]), op=gast.Add(), right=doubled)), first)
    return None


def _pure(node):
    """Arithmetic on names and constants: evaluating it twice or once is the same."""
    if isinstance(node, (gast.Name, gast.Constant)):
        return True
    if isinstance(node, gast.BinOp):
        return _pure(node.left) and _pure(node.right)
    if isinstance(node, gast.UnaryOp):
        return _pure(node.operand)
    return typed_constant(node) is not None


# -- 1. zero initialisations ----------------------------------------------------------------
def fold_zero_inits(stmts, adjoints, avals):
    out = []
    stmts = [recurse(s, lambda b: fold_zero_inits(b, adjoints, avals)) for s in stmts]
    mentioned = {}            # statement index -> its names, found once (a fold keeps them: d stays the target)

    def mentions_at(k, name):
        if k not in mentioned:
            mentioned[k] = names_in(stmts[k])
        return name in mentioned[k]
    for i, stmt in enumerate(stmts):
        a = simple_assign(stmt)
        scalar = a is not None and zero_of(a[1]) is not None and zero_of(a[1]) == scalar_dtype(a[0], avals)
        if a is not None and a[0] in adjoints and (scalar or zero_array(a[1], avals) == avals.get(a[0])):
            # an array's zeros fold within straight-line code only: a loop or branch after them
            # (most top-level adjoints' first use) ends the search without walking it
            end = len(stmts) if scalar else next(
                (k for k in range(i + 1, len(stmts)) if isinstance(stmts[k], (gast.For, gast.While, gast.If))),
                len(stmts))
            j = next((k for k in range(i + 1, end) if mentions_at(k, a[0])), None)
            e = accumulation(stmts[j], a[0]) if j is not None else None
            if e is not None and (expr_dtype(e, avals) == zero_of(a[1]) if scalar
                                  else fresh_array(e, avals) == avals[a[0]]):
                stmts[j] = lined(N.assign(a[0], e), stmts[j])
                continue                         # the zero is dead now
        out.append(stmt)
    return out


def zero_array(node, avals):
    """The AVal of `zeros_like(y)` for an array y, else None."""
    if (isinstance(node, gast.Call) and getattr(node.func, "id", None) == "zeros_like" and len(node.args) == 1
            and isinstance(node.args[0], gast.Name)):
        aval = avals.get(node.args[0].id)
        if isinstance(aval, P.AVal) and aval.ndim >= 1:
            return aval
    return None


MATMULS = {"matmul_nn": (0, 1), "matmul_nt": (0, 0), "matmul_tn": (1, 1), "matmul_tt": (1, 0)}


def fresh_array(node, avals):
    """The AVal of a new array that `node` computes (arithmetic with an array operand, or a
    matrix product), when its operands all have one dtype; None when unsure. Adding it to
    zeros of that AVal gives the same values, so the zeros can go."""
    if isinstance(node, gast.Name):     # an existing array: folding would alias it, and a later
        return None                     # in-place add into the adjoint would write into it
    found = _operand_avals(node, avals)
    if found is None:
        return None
    shape, dtypes = found
    if not shape or len(dtypes) != 1:
        return None
    return P.AVal(next(iter(dtypes)), shape)


def _operand_avals(node, avals):
    """(shape, dtypes) of an arithmetic tree of names, typed constants and matrix products."""
    if isinstance(node, gast.Name):
        aval = avals.get(node.id)
        if isinstance(aval, P.AVal) and all(type(d) is int for d in aval.shape):
            return tuple(aval.shape), {aval.dtype}
        return None
    if typed_constant(node):
        return (), {np.dtype(typed_constant(node))}
    if isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.USub):
        return _operand_avals(node.operand, avals)
    if isinstance(node, gast.BinOp) and isinstance(node.op, (gast.Add, gast.Sub, gast.Mult, gast.Div)):
        left, right = _operand_avals(node.left, avals), _operand_avals(node.right, avals)
        if left is None or right is None:
            return None
        try:
            shape = np.broadcast_shapes(left[0], right[0])
        except ValueError:
            return None
        return shape, left[1] | right[1]
    if isinstance(node, gast.Call) and getattr(node.func, "id", None) in MATMULS and len(node.args) == 2:
        x, y = (_operand_avals(a, avals) for a in node.args)
        if x is None or y is None or len(x[0]) != 2 or len(y[0]) != 2:
            return None
        rows, cols = MATMULS[node.func.id]
        return (x[0][rows], y[0][cols]), x[1] | y[1]
    return None


def recurse(stmt, rewrite):
    """stmt with rewrite applied to the statement lists it holds."""
    if isinstance(stmt, gast.If):
        stmt.body, stmt.orelse = rewrite(stmt.body), rewrite(stmt.orelse)
    elif isinstance(stmt, (gast.For, gast.While)):
        stmt.body = rewrite(stmt.body)
    return stmt


def lined(new, old):
    new.lineno = getattr(old, "lineno", None)
    return new


# -- 2. accumulators at loop-invariant indices ------------------------------------------------
def promote_accumulators(stmts, adjoints, avals, names):
    out = []
    for stmt in stmts:
        stmt = recurse(stmt, lambda b: promote_accumulators(b, adjoints, avals, names))
        if isinstance(stmt, gast.For):
            out += promote_in_loop(stmt, adjoints, avals, names)
        else:
            out.append(stmt)
    return out


def around_loops(stmts, rewrite):
    """Calls rewrite(loop) on every `for` loop among stmts, nested ones first, and puts the
    (before, after) statement lists it returns around the loop, in place: a list may be a
    block's."""
    i = 0
    while i < len(stmts):
        stmt = stmts[i]
        for field in ("body", "orelse"):
            inner = getattr(stmt, field, None)
            if isinstance(inner, list):
                around_loops(inner, rewrite)
        if isinstance(stmt, gast.For):
            before, after = rewrite(stmt)
            stmts[i:i + 1] = before + [stmt] + after
            i += len(before) + len(after)
        i += 1


def trips_of(loop):
    """The trip count name of a backward loop `for _k in range(n)`, else None."""
    it = loop.iter
    if (isinstance(it, gast.Call) and getattr(it.func, "id", None) == "range" and len(it.args) == 1
            and isinstance(it.args[0], gast.Name)):
        return it.args[0].id
    return None


def ran(loop, written):
    """A test, true after the loop when it ran at least once; None when the range's bounds
    may change in the loop. A backward loop runs range(n); a forward loop range(start, stop, step)."""
    trips = trips_of(loop)
    if trips is not None:
        count = N.name(trips)
    elif isinstance(loop.iter, gast.Call) and getattr(loop.iter.func, "id", None) == "range" \
            and len(loop.iter.args) == 3 and not set().union(*map(names_in, loop.iter.args)) & written:
        count = N.call("trip_count", *[N.clone(a) for a in loop.iter.args])
    else:
        return None
    return gast.Compare(left=count, ops=[gast.Gt()], comparators=[N.const(0)])


def element_index(target, avals, invariant):
    """Whether `d[i, j]` names one element by loop-invariant integers."""
    if not element_shaped(target, avals):
        return False
    index = target.slice.elts if isinstance(target.slice, gast.Tuple) else [target.slice]
    for e in index:
        if isinstance(e, gast.Name):
            i = avals.get(e.id)
            if not (e.id in invariant and isinstance(i, P.AVal) and i.ndim == 0
                    and np.issubdtype(i.dtype, np.integer)):
                return False
    return True


def element_shaped(target, avals):
    """Whether `d[...]` indexes a float array with one name or integer per axis."""
    aval = avals.get(target.value.id)
    index = target.slice.elts if isinstance(target.slice, gast.Tuple) else [target.slice]
    if not isinstance(aval, P.AVal) or len(index) != aval.ndim or not np.issubdtype(aval.dtype, np.floating):
        return False
    return all(isinstance(e, gast.Name) or isinstance(e, gast.Constant) and isinstance(e.value, int)
               and not isinstance(e.value, bool) for e in index)


def adds_into_adjoint(stmt, adjoints):
    return (isinstance(stmt, gast.AugAssign) and isinstance(stmt.op, gast.Add)
            and isinstance(stmt.target, gast.Subscript) and isinstance(stmt.target.value, gast.Name)
            and stmt.target.value.id in adjoints)


def promote_in_loop(loop, adjoints, avals, names):
    if not any(adds_into_adjoint(s, adjoints) and element_shaped(s.target, avals) for s in loop.body):
        return [loop]                       # (the cheap test first: most loops have no such site)
    written = assigned(loop.body) | {loop.target.id}
    test = ran(loop, written)
    if test is None:
        return [loop]
    invariant = {n for s in loop.body for n in names_in(s)} - written
    # an adjoint array the loop only ever adds into (`d[...] += e`) may take its sums in any order
    added, other = {}, set()
    for s in loop.body:
        if adds_into_adjoint(s, adjoints):
            added.setdefault(s.target.value.id, []).append(s)
            other |= names_in(s.target.slice) | names_in(s.value)
        else:
            other |= names_in(s)
    if any(isinstance(avals.get(n), P.AVal) and avals[n].ndim > 0 for n in other & adjoints):
        return [loop]                       # an adjoint array read here may alias one added into
    accs = {}                               # (array, index source) -> (accumulator, index, dtypes)
    for array, sites in added.items():
        for s in sites:
            if not element_index(s.target, avals, invariant):
                continue
            key = (array, gast.dump(s.target.slice))
            if key not in accs:
                accs[key] = (names.fresh(f"acc_{array}"), s.target.slice, {avals[array].dtype.name})
            acc, _, dtypes = accs[key]
            dtypes.add(expr_dtype(s.value, avals) or "weak")
            s.promoted = lined(N.assign(acc, gast.BinOp(left=N.name(acc), op=gast.Add(), right=s.value)), s)
    if not accs:
        return [loop]
    loop.body = [getattr(s, "promoted", s) for s in loop.body]
    before, flush = [], []
    for (array, _), (acc, index, dtypes) in accs.items():
        dtype = np.result_type(*(dtypes - {"weak"})).name      # the sum's type: Numba keeps one per name
        avals[acc] = P.AVal(np.dtype(dtype), ())
        before.append(N.assign(acc, P.dtype_cast(N.const(0), dtype)))
        flush.append(gast.AugAssign(target=gast.Subscript(value=N.name(array), slice=N.clone(index),
                                                          ctx=gast.Store()), op=gast.Add(), value=N.name(acc)))
    # after zero trips an invariant index may be out of bounds (i + 1 at the last i): no store
    guard = gast.If(test=test, body=flush, orelse=[])
    return before + [loop, guard]


# -- 3. preaccumulating a scalar loop body -----------------------------------------------------
LINEAR_OPS = (gast.Add, gast.Sub)


def degree(node, adjoints):
    """1: linear and homogeneous in the adjoints; 0: reads no adjoint; None: neither."""
    if isinstance(node, gast.Name):
        return 1 if node.id in adjoints else 0
    if isinstance(node, gast.Constant):
        return 0
    if zero_of(node):
        return 1                                # a typed zero is linear in anything
    if isinstance(node, gast.UnaryOp) and isinstance(node.op, (gast.USub, gast.UAdd)):
        return degree(node.operand, adjoints)
    if isinstance(node, gast.BinOp):
        left, right = degree(node.left, adjoints), degree(node.right, adjoints)
        if left is None or right is None:
            return None
        if isinstance(node.op, LINEAR_OPS):
            return left if left == right else None
        if isinstance(node.op, gast.Mult):
            return left + right if left + right <= 1 else None
        if isinstance(node.op, gast.Div):
            return left if right == 0 else None
    return 0 if not (names_in(node) & adjoints) else None


MAX_CARRIED = 2      # the body runs once per carried adjoint; measured to pay for 2 (a Van der Pol loop),
                     # not for 3 (three competing species: 3.15x the primal, taped 2.21x)


def carried_state(body, adjoints, branches=False):
    """(states, sinks) of a straight-line body, or None when it cannot be preaccumulated:
    the carried adjoints that feed others, and the carried adjoints that are only added
    into (`s = s + e`). With `branches`, the body may hold `if`s whose tests read no
    adjoint (each path is then linear; an adjoint is carried when some path reads it before
    writing it)."""
    carried, ever = [], set()

    def scan(stmts, written):
        for stmt in stmts:
            if isinstance(stmt, gast.If) and branches and not names_in(stmt.test) & adjoints:
                then, orelse = set(written), set(written)
                if not (scan(stmt.body, then) and scan(stmt.orelse, orelse)):
                    return False
                written |= then & orelse
                continue
            a = simple_assign(stmt)
            if a is None:
                if isinstance(stmt, (gast.If, gast.For, gast.While)) or names_in(stmt) & adjoints:
                    return False                # control flow, or an adjoint in an element or a call
                written |= assigned([stmt])
                ever.update(assigned([stmt]))
                continue
            target, value = a
            d = degree(value, adjoints)
            if d is None or (d == 1) != (target in adjoints):
                return False                    # adjoints are linear in adjoints, other values free of them
            for n in names_in(value) & adjoints:
                if n not in written and n not in carried:
                    carried.append(n)
            written.add(target)
            ever.add(target)
        return True
    if not scan(body, set()):
        return None
    simple = [stmt for stmt in statements(body) if not isinstance(stmt, gast.If)]
    sinks = [s for s in carried if s in ever and all(
        accumulation(stmt, s) is not None for stmt in simple if mentions(stmt, s))]
    states = [s for s in carried if s not in sinks]
    if not 1 <= len(states) <= MAX_CARRIED or any(s not in ever for s in states):
        return None
    return states, sinks


def preaccumulate(stmts, function_body, adjoints, avals, names):
    out = []
    for stmt in stmts:
        stmt = recurse(stmt, lambda b: preaccumulate(b, function_body, adjoints, avals, names))
        if isinstance(stmt, gast.For):
            rewrite_body(stmt, function_body, adjoints, avals, names)
        out.append(stmt)
    return out


def rewrite_body(loop, function_body, adjoints, avals, names):
    """Run the body's adjoint statements once per carried adjoint s_m, with s_m = 1 and the
    others 0 (copy m: its names renamed, except in copy 0), then combine the columns with
    the carried values: s_i = sum_m carry_m * s_i(copy m), sink += sum_m carry_m * part(copy m)."""
    found = carried_state(loop.body, adjoints)
    if found is None:
        return
    states, sinks = found
    dtypes = {scalar_dtype(v, avals) for v in [*states, *sinks]}
    if len(dtypes) != 1 or None in dtypes:
        return
    (dtype,) = dtypes
    # adjoints local to the body must not be read after it: they will hold seeded values
    locals_ = (assigned(loop.body) & adjoints) - {*states, *sinks}
    if locals_ & names_around(function_body, loop):
        return
    carries = [names.fresh(f"carry_{s}") for s in states]
    copies = []                      # per copy: name -> its name in that copy
    for m in range(len(states)):
        rename_m = {s: names.fresh(f"part_{s}" if m == 0 else f"part_{s}_{m}") for s in sinks}
        if m:
            rename_m.update({v: names.fresh(f"{v}_{m}") for v in [*states, *sorted(locals_)]})
        copies.append(rename_m)
    for v in carries + [v for c in copies for v in c.values()]:
        avals[v] = P.AVal(np.dtype(dtype), ())
    head = [N.assign(c, N.name(s)) for c, s in zip(carries, states)]
    for m, rename_m in enumerate(copies):
        head += [N.assign(rename_m.get(s, s), P.dtype_cast(N.const(1.0 if j == m else 0), dtype))
                 for j, s in enumerate(states)]
        head += [N.assign(rename_m[s], P.dtype_cast(N.const(0), dtype)) for s in sinks]
    body = []
    for stmt in loop.body:
        a = simple_assign(stmt)
        if a is not None and a[0] in adjoints:
            versions = [stmt] + [N.clone(stmt) for _ in copies[1:]]      # cloned before any renaming
            body += [rename(v, rename_m) for v, rename_m in zip(versions, copies)]
        else:
            body.append(stmt)

    def combined(v):             # sum over copies of carry_m * (v in copy m)
        terms = [gast.BinOp(left=N.name(c), op=gast.Mult(), right=N.name(rename_m.get(v, v)))
                 for c, rename_m in zip(carries, copies)]
        total = terms[0]
        for t in terms[1:]:
            total = gast.BinOp(left=total, op=gast.Add(), right=t)
        return total
    tail = [N.assign(s, gast.BinOp(left=N.name(s), op=gast.Add(), right=combined(s))) for s in sinks]
    tail += [N.assign(s, combined(s)) for s in states]
    loop.body = head + body + tail


def names_around(function_body, loop):
    """Names the function mentions outside `loop` (a statement somewhere in it)."""
    found = set()
    for s in function_body:
        if s is not loop:
            found |= names_in(s) if not contains(s, loop) else names_outside(s, loop)
    return found


def contains(stmt, inner):
    return any(n is inner for n in N.walk(stmt))


def names_outside(stmt, inner):
    """Names in stmt, not counting those inside the nested statement `inner`."""
    found = set()

    def visit(node):
        if node is inner:
            return
        if isinstance(node, gast.Name):
            found.add(node.id)
        for child in gast.iter_child_nodes(node):
            visit(child)
    visit(stmt)
    return found


def rename(stmt, mapping):
    """stmt, its names renamed in place."""
    for n in N.walk(stmt):
        if isinstance(n, gast.Name) and n.id in mapping:
            n.id = mapping[n.id]
    return stmt
