"""Small vectors in loop bodies as scalars: `d = pos[i] - pos[j]; r2 = np.sum(d * d)`
computes d's three components as three numbers.

Written with vectors, each pair of W4's loop made about six arrays of three elements (d,
d * d, and in the backward their adjoints, a filled array and a row added into d_pos),
and the pair loop took 30 times the hand-written gradient. Here a float64 vector of at
most MAX_SIZE elements, made and used in one loop body (and nowhere else), becomes one
name per component, `d_0, d_1, d_2`, when it is
- a row read `getitem(a, (i, ...))` or `getitem(a, (i, ..., :))` whose indices are integer
  scalars (its components: `getitem(a, (i, ..., c))`), or
- an elementwise operation (ELEMENTWISE) of such vectors, other float64 vectors of its
  length (read element by element) and scalars,
and every use of it is one of those operations making another such vector, its sum
(`reduce_sum(v, None, False)`, or with axis 0, -1, () or (0,): the components added left
to right, as NumPy adds a vector this short), a dot product with a vector of its length (`matmul` of two 1-d
operands: the products added left to right) or a read of one component. The backward
then reads and adds single elements, as for code written element by element.

Runs after analyze, on its avals; the caller analyzes the rewritten function again."""
import gast
import numpy as np

from . import nodes as N
from . import primitives as P
from .chained_indexing import assignment_counts, is_int_scalar, scalar_kind
from .normalize import names_in
from .resolve import NameGen

MAX_SIZE = 4
ELEMENTWISE = {"add", "sub", "mul", "div", "pow", "maximum", "minimum", "neg", "exp", "log", "sqrt", "tanh",
               "square", "abs", "sin", "cos", "sigmoid", "relu"}
_F64 = np.dtype(np.float64)


def scalarize(fn, avals):
    """Rewrite fn's small vectors in place (see the module docstring); whether any was."""
    if not any(_size(aval) is not None for aval in avals.values()):
        return False
    names = NameGen()
    names.used |= {n.id for n in N.walk(fn) if isinstance(n, gast.Name)}
    assigned, reads = assignment_counts(fn), {}
    for n in N.walk(fn):
        if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load):
            reads[n.id] = reads.get(n.id, 0) + 1
    return _blocks(fn.body, avals, names, assigned, reads, in_loop=False)


def _blocks(stmts, avals, names, assigned, reads, in_loop):
    changed = in_loop and _rewrite(stmts, avals, names, assigned, reads)
    for stmt in stmts:
        if isinstance(stmt, (gast.For, gast.While, gast.If)):
            loop = in_loop or not isinstance(stmt, gast.If)
            changed = _blocks(stmt.body, avals, names, assigned, reads, loop) or changed
            changed = _blocks(stmt.orelse, avals, names, assigned, reads, loop) or changed
    return changed


def _call(stmt):
    """(target, function name, args) of `t = f(...)`, else None."""
    if (isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name)
            and isinstance(stmt.value, gast.Call) and isinstance(stmt.value.func, gast.Name)):
        return stmt.targets[0].id, stmt.value.func.id, stmt.value.args
    return None


def _size(aval):
    """k for a float64 vector of static length k <= MAX_SIZE, else None."""
    if isinstance(aval, P.AVal) and aval.dtype == _F64 and len(aval.shape) == 1 \
            and type(aval.shape[0]) is int and 1 <= aval.shape[0] <= MAX_SIZE:
        return aval.shape[0]
    return None


def _makes_vector(call, avals):
    """Whether `t = f(args)` makes a vector this pass can write as components."""
    target, f, args = call
    k = _size(avals.get(target))
    if k is None:
        return False
    if f == "getitem":
        index = _row_index(args[1])
        return (isinstance(args[0], gast.Name) and bool(index)
                and all(is_int_scalar(e, avals) for e in index))
    return f in ELEMENTWISE and all(scalar_kind(a, avals) in ("i", "u", "f")
                                    or (isinstance(a, gast.Name) and _size(avals.get(a.id)) == k) for a in args)


def _row_index(index):
    """The integer indices of a row read `a[i, j]` or `a[i, j, :]`, else None."""
    if not isinstance(index, gast.Tuple):
        return None
    elts = index.elts
    if elts and isinstance(elts[-1], gast.Slice) and all(
            p is None or (isinstance(p, gast.Constant) and p.value is None)
            for p in (elts[-1].lower, elts[-1].upper, elts[-1].step)):
        elts = elts[:-1]
    return elts or None


def reduces_whole_vector(args):
    """Whether `reduce_*(v, axis, keep_dims)` of a 1-d v is one number: np.sum(v), np.sum(v, 0),
    ops.reduce_sum(v) (MindSpore's axis ()), axis -1 or (0,), without keep_dims."""
    axis, keep = args[1], args[2]
    axes = axis.elts if isinstance(axis, gast.Tuple) else [axis]
    return (all(isinstance(a, gast.Constant) and a.value in (None, 0, -1) for a in axes)
            and isinstance(keep, gast.Constant) and keep.value is False)


def _reduces(call, vector, avals):
    """Whether `t = f(args)`, which reads `vector`, is a use that takes components."""
    target, f, args = call
    k = _size(avals.get(vector))
    if f == "reduce_sum":
        return reduces_whole_vector(args)
    if f == "matmul":
        flags = args[2:]
        return (all(isinstance(a, gast.Name) and _size(avals.get(a.id)) == k for a in args[:2])
                and all(isinstance(a, gast.Constant) and a.value is False for a in flags))
    if f == "getitem":
        index = args[1]
        return (isinstance(index, gast.Tuple) and len(index.elts) == 1 and isinstance(index.elts[0], gast.Constant)
                and type(index.elts[0].value) is int and -k <= index.elts[0].value < k)
    return False


def _rewrite(stmts, avals, names, assigned, reads):
    calls = {i: _call(s) for i, s in enumerate(stmts)}
    vectors = {c[0]: i for i, c in calls.items() if c is not None and assigned.get(c[0]) == 1
               and _makes_vector(c, avals)}
    users = {}                 # vector -> indices of this block's statements reading it
    for i, s in enumerate(stmts):
        for n in N.walk(s):
            if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load) and n.id in vectors:
                users.setdefault(n.id, []).append(i)
    changed = True
    while changed:             # drop vectors with a use other than those listed, until none has
        changed = False
        for v in list(vectors):
            uses = users.get(v, [])
            ok = len(uses) == reads.get(v, 0) and all(
                calls[i] is not None and i > vectors[v]
                and ((calls[i][1] in ELEMENTWISE and calls[i][0] in vectors) or _reduces(calls[i], v, avals))
                for i in uses)
            if not ok:
                del vectors[v]
                changed = True
    if not vectors:
        return False
    parts = {v: [names.fresh(_part_name(v, c)) for c in range(_size(avals[v]))] for v in vectors}
    out = []
    for i, stmt in enumerate(stmts):
        call = calls[i]
        if call is None or not (call[0] in vectors or any(n in vectors for n in names_in(stmt.value))):
            out.append(stmt)
            continue
        target, f, args = call
        emit = _emitter(out, stmt)
        if target in vectors:
            for c, part in enumerate(parts[target]):
                if f == "getitem":
                    index = N.tuple_([N.clone(e) for e in _row_index(args[1])] + [N.const(c)])
                    emit(part, N.call("getitem", N.clone(args[0]), index))
                else:
                    emit(part, N.call(f, *[_component(a, c, parts, avals, names, emit) for a in args]))
        elif f == "getitem":        # a float64 of the part: the reverse differentiates no bare copies
            c = args[1].elts[0].value % len(parts[args[0].id])
            emit(target, N.call("cast", N.name(parts[args[0].id][c]), N.name("float64")))
        else:
            k = _size(avals[args[0].id])
            if f == "reduce_sum":
                terms = [N.name(p) for p in parts[args[0].id]]
            else:
                terms = []
                for c in range(k):
                    product = names.fresh(f"{target}_mul")
                    emit(product, N.call("mul", *[_component(a, c, parts, avals, names, emit) for a in args[:2]]))
                    terms.append(N.name(product))
            total = terms[0]
            for term in terms[1:-1]:
                partial = names.fresh(f"{target}_add")
                emit(partial, N.call("add", total, term))
                total = N.name(partial)
            emit(target, N.call("add", total, terms[-1]) if k > 1 else N.call("cast", total, N.name("float64")))
    stmts[:] = out
    return True


def _part_name(vector, c):
    """d -> d0, d1, ...; x1 -> x1_0, ... (`d_0` would read as an adjoint)."""
    return f"{vector}_{c}" if vector[-1:].isdigit() else f"{vector}{c}"


def _emitter(out, like):
    """A function appending `target = value` to out, at `like`'s line and with its flags."""
    def emit(target, value):
        stmt = N.assign(target, value, getattr(like, "lineno", None))
        if getattr(like, "no_grad", False):
            stmt.no_grad = True
        out.append(stmt)
    return emit


def _component(node, c, parts, avals, names, emit):
    """Component c of an operand: a vector's part, an element read of another vector, or
    the scalar itself."""
    if isinstance(node, gast.Name) and node.id in parts:
        return N.name(parts[node.id][c])
    if isinstance(node, gast.Name) and _size(avals.get(node.id)) is not None:
        element = names.fresh(_part_name(node.id, c))
        emit(element, N.call("getitem", N.name(node.id), N.tuple_([N.const(c)])))
        return N.name(element)
    return N.clone(node)
