"""A forward loop's input projection as one matrix product before the loop.

An RNN multiplies each step's input slice by a weight the loop never changes:

    for t in range(0, n, 1):
        x_t = xs[t]
        z = matmul_nt(x_t, w)        # (batch, in) x (hidden, in)ᵀ, one small GEMM per step

Every step's product is a slice of one product over all the steps' rows, so it is
made once before the loop and the loop reads its slice:

    rows = trip_count(0, n, 1)
    z_all = reshape(matmul_nt(reshape(xs[0:rows], (rows * batch, in)), w), (rows, batch, hidden))
    for t in range(0, n, 1):
        x_t = xs[t]
        z = z_all[t]

One GEMM of rows·batch rows instead of `rows` GEMMs of `batch` rows (W5, the LSTM:
50 products of 8 rows become one of 400).

A product qualifies when the loop counts t up from 0 by 1, the slice `xs[t]` and the
product sit at the top level of its body, xs is a 3-d (or 2-d: vector steps, whose
rows need no reshape) float array of static shape and the weight a 2-d one, neither is rebound in the loop, and the loop writes into no
array but its tapes, so neither can change while it runs. Loops with a `break` are
left alone: the product would be made for steps that never run."""
import gast

from . import nodes as N
from . import primitives as P
from .chains import Names, around_loops, simple_assign

PRODUCTS = ("matmul_nn", "matmul_nt")      # the step's slice is the left operand


def hoist_products(forward, avals, tapes):
    """Rewrites every qualifying loop among the lowered `forward` (nested ones included)
    in place; `tapes` are the names of the tapes the forward writes into."""
    tapes, names = set(tapes), Names(forward)
    around_loops(forward, lambda loop: (_hoist(loop, avals, tapes, names), []))


def _hoist(loop, avals, tapes, names):
    """The statements to put before the loop; the body changes in place."""
    stop = _counted_from_zero(loop)
    if stop is None or not _has_candidate(loop):
        return []
    per_stmt = _assigned_if_plain(loop.body, tapes)
    if per_stmt is None:
        return []
    t = loop.target.id
    rebound = set().union(*per_stmt) | {t}
    slices = {}          # name -> xs, for `name = xs[t]` at the top level
    before = []
    for pos, stmt in enumerate(loop.body):
        a = simple_assign(stmt)
        xs = _step_slice(a[1], t) if a is not None else None
        found = _product(a[1], slices, rebound, avals) if a is not None and xs is None else None
        for name in per_stmt[pos]:
            slices.pop(name, None)
        if xs is not None and xs not in rebound and _static(avals.get(xs), (2, 3)):
            slices[a[0]] = xs
        if found is None:
            continue
        kind, xs, w = found
        target = a[0]
        step_shape = tuple(avals[xs].shape[1:])          # (batch, in) or (in,)
        out = avals[w].shape[0 if kind == "matmul_nt" else 1]
        if not _static(avals.get(target), (len(step_shape),)) or tuple(avals[target].shape) != step_shape[:-1] + (out,):
            continue
        if not before:
            rows = names.fresh("n_rows")
            before.append(N.assign(rows, N.call("trip_count", N.const(0), N.clone(stop), N.const(1))))
        every = names.fresh(f"{target}_all")
        head = gast.Subscript(value=N.name(xs), slice=gast.Slice(lower=N.const(0), upper=N.name(rows), step=None),
                              ctx=gast.Load())
        if len(step_shape) == 1:         # vector steps: the steps' rows are already a matrix
            before.append(N.assign(every, N.call(kind, head, N.name(w))))
        else:
            batch, width = step_shape
            flat = N.call("reshape", head, N.tuple_([_times(rows, batch), N.const(width)]))
            before.append(N.assign(every, N.call("reshape", N.call(kind, flat, N.name(w)),
                                                 N.tuple_([N.name(rows), N.const(batch), N.const(out)]))))
        new = N.assign(target, N.subscript(N.name(every), N.name(t)))
        new.lineno = getattr(stmt, "lineno", None)
        loop.body[pos] = new
    return before


def _has_candidate(loop):
    """A top-level `x = xs[t]` followed by a product of x: a look that walks nothing, so
    that loops without one cost next to nothing."""
    sliced = set()
    for stmt in loop.body:
        a = simple_assign(stmt)
        if a is None:
            continue
        if _step_slice(a[1], loop.target.id) is not None:
            sliced.add(a[0])
        elif (isinstance(a[1], gast.Call) and getattr(a[1].func, "id", None) in PRODUCTS and a[1].args
              and isinstance(a[1].args[0], gast.Name) and a[1].args[0].id in sliced):
            return True
    return False


def _counted_from_zero(loop):
    """stop of `for t in range(0, stop, 1)`, else None."""
    it = loop.iter
    if not (isinstance(loop.target, gast.Name) and isinstance(it, gast.Call)
            and getattr(it.func, "id", None) == "range" and len(it.args) == 3):
        return None
    start, stop, step = it.args
    if not (_const(start, 0) and _const(step, 1) and isinstance(stop, (gast.Name, gast.Constant))):
        return None
    return stop


def _const(node, value):
    return isinstance(node, gast.Constant) and node.value == value


def _assigned_if_plain(body, tapes):
    """The names each top-level statement of the body assigns (nested blocks included), or
    None when the body has a `break` or writes into an array other than a tape (a store
    into a subscript, or an expression statement other than `tape.append(...)`)."""
    out = []
    for stmt in body:
        names = set()
        for node in N.walk(stmt):
            if isinstance(node, gast.Break):
                return None
            if isinstance(node, gast.Expr):
                call = node.value
                if not (isinstance(call, gast.Call) and isinstance(call.func, gast.Attribute)
                        and call.func.attr == "append" and _names_tape(call.func.value, tapes)):
                    return None
            for target in getattr(node, "targets", None) or [getattr(node, "target", None)]:
                if isinstance(target, gast.Name):
                    names.add(target.id)
                elif isinstance(target, (gast.Tuple, gast.List)):
                    names.update(e.id for e in target.elts if isinstance(e, gast.Name))
                    if any(not isinstance(e, gast.Name) for e in target.elts):
                        return None
                elif target is not None and not _names_tape(getattr(target, "value", None), tapes):
                    return None          # a subscript (or attribute) store into a non-tape
        out.append(names)
    return out


def _names_tape(node, tapes):
    return isinstance(node, gast.Name) and node.id in tapes


def _step_slice(value, t):
    """xs of `xs[t]`, else None."""
    if (isinstance(value, gast.Subscript) and isinstance(value.value, gast.Name)
            and isinstance(value.slice, gast.Name) and value.slice.id == t):
        return value.value.id
    return None


def _product(value, slices, rebound, avals):
    """(kind, xs, w) of `matmul_nt(x_t, w)` / `matmul_nn(x_t, w)` with x_t a step slice
    of xs and w a 2-d array of xs's dtype that the loop does not rebind, else None."""
    if not (isinstance(value, gast.Call) and getattr(value.func, "id", None) in PRODUCTS and len(value.args) == 2
            and all(isinstance(a, gast.Name) for a in value.args)):
        return None
    x, w = (a.id for a in value.args)
    xs = slices.get(x)
    if xs is None or w in rebound or not _static(avals.get(w), (2,)) or avals[w].dtype != avals[xs].dtype:
        return None
    return value.func.id, xs, w


def _static(aval, ndims):
    return (isinstance(aval, P.AVal) and aval.ndim in ndims and aval.dtype.kind == "f"
            and all(type(d) is int for d in aval.shape))


def _times(name, k):
    return gast.BinOp(left=N.name(name), op=gast.Mult(), right=N.const(k))
