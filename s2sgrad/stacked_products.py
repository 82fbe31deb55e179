"""A loop's weight gradients as one matrix product after the loop.

A backward loop that adds `matmul_tn(A, B)` (Aᵀ B) into a sink on every iteration
computes one small product and one add per step: an RNN's weight gradient, dW += dZᵀ X
for each time step. Summed over the steps it is one product of the operands stacked
by rows:

    Σ_k A_kᵀ B_k = [A_0; A_1; ...]ᵀ [B_0; B_1; ...]

so the loop copies A and B into buffers of shape (trips, rows, cols), and after the
loop one GEMM adds the whole sum into the sink. `S = S + sum_axis(A, 0)` (a bias
gradient) becomes one sum over the stacked rows the same way; an operand stacked for
two sinks is copied once. W5 (LSTM, 50 steps): 3.30 -> 2.53 ms, the hand-written
gradient 2.08 ms, which stacks the same way.

A statement qualifies when it sits at the top level of a backward loop body (so it runs
once per iteration), nothing else in the loop mentions its sink, and the operands are
2-d float arrays of static shapes with the sink's dtype. Loops inside checkpointed
segments are left alone: their buffers would hold a whole segment per call. Sums are
reassociated, so the last bits may differ from the per-step adds."""
import gast

from . import nodes as N
from . import primitives as P
from .chains import Names, accumulation, around_loops, assigned, simple_assign, trips_of
from .normalize import names_in


def stack_products(backward, rev, avals):
    """Rewrites every qualifying loop among `backward` (nested ones included) in place."""
    names = Names(backward, rev.forward_names)
    around_loops(backward, lambda loop: _stack(loop, avals, names)
                 if hasattr(loop, "blocks") and not _checkpointed(loop) else ([], []))


def _checkpointed(loop):
    (block,) = loop.blocks
    return any(b.checkpoint for b in block.ancestors())


def _stack(loop, avals, names):
    """(statements before the loop, statements after it); the body changes in place."""
    trips = trips_of(loop)
    if trips is None or not isinstance(loop.target, gast.Name):
        return [], []
    body, k = loop.body, loop.target.id
    buffers = {}            # (root operand name, first position) -> buffer name
    before, after, replaced = [], [], {}
    mentioned = written = None      # the names each body statement mentions and assigns, found once
    for pos, stmt in enumerate(body):
        found = _product(stmt, avals)
        if found is None:
            continue
        sink, kind, operands = found
        if mentioned is None:
            mentioned, written = [names_in(s) for s in body], [assigned([s]) for s in body]
        if any(sink in names for j, names in enumerate(mentioned) if j != pos):
            continue
        stacked = []
        for name in operands:
            root = _root(body, written, pos, name)
            key = next((key for key in buffers if key[0] == root and _unchanged(body, written, key[1], pos, root)),
                       None)
            if key is None:
                key = (root, pos)
                rows, cols = avals[name].shape
                buffers[key] = names.fresh(f"stack_{name}")
                dtype = avals[name].dtype.name
                before.append(N.assign(buffers[key], N.call(
                    "empty", N.tuple_([N.name(trips), N.const(rows), N.const(cols)]), N.name(dtype))))
                replaced.setdefault(pos, []).append(
                    N.assign(N.subscript(N.name(buffers[key]), N.name(k)), N.name(name)))
            stacked.append(_flat_rows(buffers[key], trips, avals[name].shape))
        total = N.call("matmul_tn", *stacked) if kind == "matmul_tn" else N.call("sum_axis", stacked[0], N.const(0))
        new = N.assign(sink, gast.BinOp(left=N.name(sink), op=gast.Add(), right=total))
        new.lineno = getattr(stmt, "lineno", None)
        after.append(new)
        replaced.setdefault(pos, [])
    if not after:
        return [], []
    body[:] = [s for pos, stmt in enumerate(body) for s in (replaced[pos] if pos in replaced else [stmt])]
    return before, after


def _product(stmt, avals):
    """(sink, kind, operand names) of `S = S + matmul_tn(A, B)` or `S = S + sum_axis(A, 0)`
    with 2-d float operands of static shapes and S's dtype, else None."""
    a = simple_assign(stmt)
    if a is None:
        return None
    sink = a[0]
    e = accumulation(stmt, sink)
    if not (isinstance(e, gast.Call) and isinstance(e.func, gast.Name)):
        return None
    s = avals.get(sink)
    if not (isinstance(s, P.AVal) and s.dtype.kind == "f"):
        return None
    if e.func.id == "matmul_tn" and len(e.args) == 2:
        operands = e.args
    elif (e.func.id == "sum_axis" and len(e.args) == 2 and isinstance(e.args[1], gast.Constant)
          and e.args[1].value == 0):
        operands = e.args[:1]
    else:
        return None
    if not all(isinstance(a, gast.Name) for a in operands):
        return None
    shapes = []
    for a in operands:
        aval = avals.get(a.id)
        if not (isinstance(aval, P.AVal) and aval.ndim == 2 and aval.dtype == s.dtype
                and all(type(d) is int for d in aval.shape)):
            return None
        shapes.append(aval.shape)
    if e.func.id == "matmul_tn":
        (r, p), (r2, q) = shapes
        want = (p, q) if r == r2 else None
    else:
        want = (shapes[0][1],)
    if want is None or tuple(s.shape) != want:
        return None
    return sink, e.func.id, [a.id for a in operands]


def _flat_rows(buffer, trips, shape):
    """reshape(buffer, (trips * rows, cols)): the stacked operand."""
    rows, cols = shape
    n = gast.BinOp(left=N.name(trips), op=gast.Mult(), right=N.const(rows))
    return N.call("reshape", N.name(buffer), N.tuple_([n, N.const(cols)]))


def _root(body, written, pos, name):
    """The name whose array `name` holds at body[pos], following plain copies `name = other`
    made earlier in the body when `other` is not reassigned in between (written[j]: the
    names body[j] assigns)."""
    for j in range(pos - 1, -1, -1):
        if name in written[j]:
            a = simple_assign(body[j])
            if a is not None and isinstance(a[1], gast.Name) and not any(a[1].id in w for w in written[j + 1:pos]):
                return _root(body, written, j, a[1].id)
            return name
    return name


def _unchanged(body, written, start, end, root):
    """Between two positions `root` still holds the same values: nothing rebinds it and
    nothing writes into any array (only plain `name = value` statements)."""
    return (all(simple_assign(s) is not None for s in body[start + 1:end])
            and not any(root in w for w in written[start + 1:end]))
