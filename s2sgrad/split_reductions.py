"""Inner loops in a form LLVM vectorizes (the cpu target's text): W4's pair loop.

An innermost `for j in range(a, b)` of scalar code that reads and writes array elements at
`[j, c, ...]` (constants c) compiles to scalar machine code when it carries a float sum
(`s = s + x`: an ordered floating-point sum cannot be split into SIMD lanes), when its
indices are Numba's (a possibly negative `j` is wrapped, a row's stride is read at run
time) or when it divides (Python's `/` raises ZeroDivisionError: a branch per division).
Such a loop becomes, per chunk of at most CHUNK trips,

    for t in range(count):      # the body; each sum's term stored, terms_s[t] = x
        ...                     # j-indexed elements through flat views: a_j[3 * t + c]
    for t in range(count):      # the sums, in the original order: s = s + terms_s[t]

The sums add the same terms in the same order, so results are bit-identical. The flat views
are C-contiguous by construction: an array the loop writes must be one the function made
with zeros/empty (a `zeros_like` becomes `zeros`, C-ordered whatever its operand's order),
an array it only reads is an argument or such an array, read through
`ascontiguousarray(a).ravel()` (a view of a C-contiguous argument, else a copy). An (n, k)
argument with k <= MAX_COLUMNS is read through contiguous copies of its columns instead,
made once per call at the top (arguments never change): `pos_column1_chunk[t]` loads four
pairs' values at once where `pos_chunk[3 * t + 1]` gathers them (W4: 10% of the call). An (n, k)
array the function makes and reads and writes only element by element (or returns) is made as
its transpose, `part_d_pos_columns[c, j]` for `part_d_pos[j, c]`, so the loop writes its columns
at unit stride too, where the flat view scatters; the function returns a C-ordered copy. An
element the loop reads but does not change (`pos[i, 0]`, row i's coordinate) is read once per
chunk, before the chunk's loop, as LLVM cannot tell that the loop's stores leave it alone. `/`
becomes NumPy's `divide`: inf or nan rather than an exception, as the NumPy program itself
gives. Where any condition fails the loop is left as it is.

On W4 (tools/bench/w4.py) the gradient's pair loop then runs in 4-wide AVX2 registers."""
import functools

import gast

from . import nodes as N
from . import primitives as P

CHUNK = 512             # trips per chunk: the terms of each sum stay in L1 (4 KiB each)
MAX_COLUMNS = 4         # an (n, k) argument with k <= this is read through copies of its columns
FRESH = {"zeros", "empty"}


def split_reductions(stmts, avals, names):
    """(stmts with every such loop rewritten, whether any was). stmts is not changed: the
    readable text shares its statements; rewritten statements are new nodes."""
    fn = _Function(stmts, avals, names)
    out = fn.block(stmts)
    if not fn.changed:
        return stmts, False
    out = _made_c_ordered(out, fn.c_ordered - set(fn.laid_out), avals)
    return fn.prelude + (_by_columns(out, fn.laid_out, avals) if fn.laid_out else out), True


class _Function:
    def __init__(self, stmts, avals, names):
        self.stmts, self.avals, self.names = stmts, avals, names
        self.prelude, self.changed, self.c_ordered = [], False, set()
        self.columns = {}           # (argument, column) -> the name of its contiguous copy
        self.laid_out = {}          # made array -> the name of its (columns, rows) twin (see by_columns)

    @functools.cached_property
    def tables(self):
        """(loads, assignments: name -> how many, fresh: name -> its zeros/empty statement),
        made when a loop first passes the checks that read only the loop (most programs have no
        such loop: the transpile pays nothing)."""
        assigns, loads, fresh = {}, {}, {}
        for node in (n for stmt in self.stmts for n in N.nodes_of(stmt)):
            if isinstance(node, gast.Name):
                table = loads if isinstance(node.ctx, gast.Load) else assigns
                table[node.id] = table.get(node.id, 0) + 1
            if (isinstance(node, gast.Assign) and isinstance(node.targets[0], gast.Name)
                    and isinstance(node.value, gast.Call) and isinstance(node.value.func, gast.Name)
                    and node.value.func.id in FRESH | {"zeros_like"}):
                fresh[node.targets[0].id] = node
        return loads, assigns, fresh

    @property
    def loads(self):
        return self.tables[0]

    @property
    def assigns(self):
        return self.tables[1]

    @property
    def fresh(self):
        return self.tables[2]

    def block(self, stmts):
        out = []
        for stmt in stmts:
            if isinstance(stmt, (gast.For, gast.While, gast.If)):
                new = self.loop(stmt) if isinstance(stmt, gast.For) else None
                if new is not None:
                    out += new
                    continue
                body, orelse = self.block(stmt.body), self.block(stmt.orelse)
                if body is not stmt.body or orelse is not stmt.orelse:
                    stmt = _with(stmt, body=body, orelse=orelse)
            out.append(stmt)
        return out if any(a is not b for a, b in zip(out, stmts)) or len(out) != len(stmts) else stmts

    def aval(self, name):
        return self.avals.get(name)

    def is_array_arg_or_fresh(self, name):
        """An argument (never assigned here) or an array made once by zeros/empty/zeros_like."""
        return self.assigns.get(name, 0) == 0 or (self.assigns.get(name) == 1 and name in self.fresh)

    def loop(self, loop):
        """The statements replacing an innermost loop of the form above, else None."""
        bounds = _range_bounds(loop)
        if bounds is None or any(isinstance(s, (gast.For, gast.While, gast.If)) for s in loop.body):
            return None
        j = loop.target.id
        body = loop.body
        if not all(_simple(s) for s in body):
            return None
        assigned = {t for s in body for t in _assigned_names(s)}
        if j in assigned:
            return None
        sums = self.sums(body, assigned)
        if sums is None:
            return None
        views = self.views(body, j, assigned)
        if views is None or not (sums or views[0]):
            return None
        flat, written = views
        if any(not self.is_array_arg_or_fresh(a) for a in flat) or \
                any(a not in self.fresh or self.assigns.get(a) != 1 for a in flat if a in written):
            return None
        self.changed = True
        self.c_ordered |= {a for a in flat if a in written}
        for a in flat:
            if a not in self.laid_out and self.by_columns(a):
                self.laid_out[a] = self.names.fresh(f"{a}_columns")
        return self.rewrite(loop, bounds, sums, flat, written)

    def by_columns(self, name):
        """Whether an array the function makes is better made as its transpose's C-ordered
        twin, `x_columns[c, j]` for `x[j, c]`: an (n, k <= MAX_COLUMNS) array made once with
        zeros/empty/zeros_like, which the function reads and writes only element by element,
        `x[a, b]`, or returns. A split loop then reads and writes its columns at unit stride
        (`part_d_pos_column1_chunk[t] += ...`, W4's force: 5-10% of the call) where the flat
        view scatters at stride k; the function returns a C-ordered copy."""
        aval = self.aval(name)
        if not (name in self.fresh and self.assigns.get(name) == 1 and isinstance(aval, P.AVal)
                and aval.ndim == 2 and type(aval.shape[1]) is int and aval.shape[1] <= MAX_COLUMNS):
            return False
        elements, returned = set(), set()     # ids of the names read as `x[a, b]`, and of nodes returned
        nodes = [n for stmt in self.stmts for n in N.nodes_of(stmt)]
        for node in nodes:
            if isinstance(node, gast.Subscript) and isinstance(node.value, gast.Name) and node.value.id == name:
                index = node.slice.elts if isinstance(node.slice, gast.Tuple) else []
                if len(index) != 2 or any(isinstance(i, gast.Slice) for i in index):
                    return False
                elements.add(id(node.value))
            elif isinstance(node, gast.Return):
                returned |= {id(n) for n in N.nodes_of(node)}
        return all(id(n) in elements or id(n) in returned for n in nodes
                   if isinstance(n, gast.Name) and n.id == name and isinstance(n.ctx, gast.Load))

    def sums(self, body, assigned):
        """{index of `u = s + x`: (s, x, index of `s = u` or None)} for the float values the loop
        carries, or None when one is not a running sum (integers may be carried any way)."""
        first_assign, carried = {}, []
        for k, s in enumerate(body):
            for n in _read_names(s):
                if n in assigned and n not in first_assign and n not in carried:
                    carried.append(n)
            for t in _assigned_names(s):
                first_assign.setdefault(t, k)
        found = {}
        for c in carried:
            aval = self.aval(c)
            if _is_int(aval) or (aval is None and self.is_counter(body, c)):
                continue
            if not _is_float(aval):
                return None
            match = _running_sum(body, c, self.loads)
            if match is None:
                return None
            k, drop, term = match
            if not (_is_float(self.aval(term)) or _is_int(self.aval(term))):
                return None
            found[k] = (c, term, drop)
        return found

    @staticmethod
    def is_counter(body, c):
        """`c = c + <int constant>` is the one statement writing c."""
        writes = [s for s in body if c in _assigned_names(s)]
        if len(writes) != 1 or not isinstance(writes[0].value, gast.BinOp):
            return False
        v = writes[0].value
        return (isinstance(v.op, gast.Add) and isinstance(v.left, gast.Name) and v.left.id == c
                and isinstance(v.right, gast.Constant) and type(v.right.value) is int)

    def views(self, body, j, assigned):
        """({array: its aval} of the j-indexed arrays, the arrays the body writes), or None when
        an index is neither `[j, constants]` nor loop-invariant."""
        flat, written = {}, set()
        for s in body:
            target = s.targets[0] if isinstance(s, gast.Assign) else s.target
            if isinstance(target, gast.Subscript):
                written.add(getattr(target.value, "id", None))
            for node in N.nodes_of(s):
                if not isinstance(node, gast.Subscript):
                    continue
                if not isinstance(node.value, gast.Name):
                    return None
                aval = self.aval(node.value.id)
                index = node.slice.elts if isinstance(node.slice, gast.Tuple) else [node.slice]
                if isinstance(index[0], gast.Name) and index[0].id == j:
                    offset = _flat_offset(aval, index[1:])
                    if offset is None:
                        return None
                    flat[node.value.id] = aval
                elif {n.id for n in N.nodes_of(node.slice) if isinstance(n, gast.Name)} & (assigned | {j}):
                    return None
        return flat, written

    def rewrite(self, loop, bounds, sums, flat, written):
        lineno = getattr(loop, "lineno", None)
        fresh, j = self.names.fresh, loop.target.id
        a, b = bounds
        trips, start, rest, count, base, t = (fresh(x) for x in ("trips", "chunk", "rest", "count", "base", "t"))
        terms = {k: fresh(f"terms_{c}") for k, (c, _, _) in sums.items()}
        for k, (c, term, _) in sums.items():
            dtype = self.aval(term).dtype.name if isinstance(self.aval(term), P.AVal) else \
                ("float64" if isinstance(self.aval(term), float) else "int64")
            self.prelude.append(_lined(N.assign(terms[k], N.call("empty", N.tuple_([N.const(CHUNK)]), N.name(dtype))),
                                       lineno))
        columns = {x for x in flat if self.assigns.get(x, 0) == 0 and flat[x].ndim == 2
                   and flat[x].shape[1] <= MAX_COLUMNS}
        for x in columns:           # an argument's columns, copied once per call: unit-stride reads
            for c in range(flat[x].shape[1]):
                if (x, c) not in self.columns:
                    self.columns[x, c] = fresh(f"{x}_column{c}")
                    column = N.subscript(N.name(x), N.tuple_([_slice(None), N.const(c)]))
                    self.prelude.append(_lined(N.assign(self.columns[x, c], N.call("ascontiguousarray", column)),
                                               lineno))
        laid_out = {x for x in flat if x in self.laid_out}
        whole = {x: fresh(f"{x}_flat") for x in flat if x not in columns | laid_out}
        part = {x: ({c: fresh(f"{x}_column{c}_chunk") for c in range(flat[x].shape[1])} if x in columns | laid_out
                    else fresh(f"{x}_chunk")) for x in flat}
        from_zero = isinstance(a, gast.Constant) and a.value == 0
        before = [N.assign(trips, N.clone(b) if from_zero else _binop(gast.Sub, N.clone(b), N.clone(a)))]
        before += [N.assign(whole[x], N.call(N.attribute(N.call("ascontiguousarray", N.name(x)), "ravel")))
                   for x in whole]
        chunk = [N.assign(rest, _binop(gast.Sub, N.name(trips), N.name(start))),
                 N.assign(count, gast.IfExp(test=_compare(N.name(rest), N.const(CHUNK)), body=N.name(rest),
                                            orelse=N.const(CHUNK))),
                 N.assign(base, N.name(start) if from_zero else _binop(gast.Add, N.clone(a), N.name(start)))]
        chunk += [N.assign(part[x], N.subscript(N.name(whole[x]), _slice(_times(_row_size(flat[x]), N.name(base)))))
                  for x in whole]
        chunk += [N.assign(part[x][c], N.subscript(N.name(self.columns[x, c]), _slice(N.name(base))))
                  for x in columns for c in part[x]]
        chunk += [N.assign(part[x][c], N.subscript(N.name(self.laid_out[x]), N.tuple_([N.const(c), _slice(N.name(base))])))
                  for x in laid_out for c in part[x]]
        first = []
        if self.loads_of(loop.body, j, flat):
            first.append(N.assign(j, _binop(gast.Add, N.name(base), N.name(t))))
        body = []
        for k, s in enumerate(loop.body):
            if any(k == drop for _, _, drop in sums.values()):
                continue
            if k in sums:
                c, term, _ = sums[k]
                body.append(_lined(_store(terms[k], t, term), getattr(s, "lineno", None)))
                continue
            if _invariant_read(loop.body, k, j, written):
                chunk.append(N.copy_tree(s))
                continue
            body.append(_indexed(N.copy_tree(s), j, t, flat, part))
        adds = [_lined(N.assign(c, _binop(gast.Add, N.name(c), N.subscript(N.name(terms[k]), N.name(t)))),
                       getattr(loop.body[k], "lineno", None)) for k, (c, _, _) in sorted(sums.items())]
        inner = [_for(t, [N.name(count)], first + body, lineno)]
        if adds:
            inner.append(_for(t, [N.name(count)], adds, lineno))
        outer = _for(start, [N.const(0), N.name(trips), N.const(CHUNK)], chunk + inner, lineno)
        return [_lined(s, lineno) for s in before] + [outer]

    def loads_of(self, body, j, flat):
        """Whether the body reads j other than as the first index of a flat view."""
        for s in body:
            skip = set()
            for node in N.nodes_of(s):
                if isinstance(node, gast.Subscript) and getattr(node.value, "id", None) in flat:
                    index = node.slice.elts if isinstance(node.slice, gast.Tuple) else [node.slice]
                    skip.add(id(index[0]))
                elif isinstance(node, gast.Name) and node.id == j and id(node) not in skip:
                    return True
        return False


# -- matching ------------------------------------------------------------------------------------

def _range_bounds(loop):
    """(a, b) of `for j in range(a, b)` or `range(a, b, 1)` over names and constants."""
    it = loop.iter
    if (loop.orelse or not isinstance(loop.target, gast.Name) or not isinstance(it, gast.Call)
            or getattr(it.func, "id", None) != "range" or len(it.args) not in (2, 3)):
        return None
    if len(it.args) == 3 and not (isinstance(it.args[2], gast.Constant) and it.args[2].value == 1):
        return None
    if not all(isinstance(x, (gast.Name, gast.Constant)) for x in it.args[:2]):
        return None
    return it.args[0], it.args[1]


def _simple(stmt):
    if isinstance(stmt, gast.Assign):
        return len(stmt.targets) == 1 and isinstance(stmt.targets[0], (gast.Name, gast.Subscript))
    return isinstance(stmt, gast.AugAssign) and isinstance(stmt.target, (gast.Name, gast.Subscript))


def _assigned_names(stmt):
    target = stmt.targets[0] if isinstance(stmt, gast.Assign) else stmt.target
    return [target.id] if isinstance(target, gast.Name) else []


def _read_names(stmt):
    """Names a simple statement reads, in order (an augmented name's target is read first)."""
    out = [stmt.target.id] if isinstance(stmt, gast.AugAssign) and isinstance(stmt.target, gast.Name) else []
    target = stmt.targets[0] if isinstance(stmt, gast.Assign) else stmt.target
    nodes = N.nodes_of(stmt.value) + (N.nodes_of(target.slice) + [target.value] if isinstance(target, gast.Subscript)
                                      else [])
    return out + [n.id for n in nodes if isinstance(n, gast.Name)]


def _running_sum(body, c, loads):
    """(index of `u = c + x`, index of `c = u` or None, x) when that pair (or `c = c + x`)
    is all the body does with c and u is read nowhere else, else None."""
    reads = [k for k, s in enumerate(body) if c in _read_names(s)]
    writes = [k for k, s in enumerate(body) if c in _assigned_names(s)]
    if len(reads) != 1 or len(writes) != 1:
        return None
    k = reads[0]
    s = body[k]
    if not (isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name) and isinstance(s.value, gast.BinOp)
            and isinstance(s.value.op, gast.Add)):
        return None
    left, right = s.value.left, s.value.right
    pair = (left, right) if isinstance(left, gast.Name) and left.id == c else (right, left)
    if not (isinstance(pair[0], gast.Name) and pair[0].id == c and isinstance(pair[1], gast.Name)
            and pair[1].id != c):
        return None
    u = s.targets[0].id
    if u == c:
        return (k, None, pair[1].id) if writes == [k] else None
    w = body[writes[0]]
    if not (writes[0] > k and isinstance(w, gast.Assign) and isinstance(w.value, gast.Name) and w.value.id == u
            and loads.get(u) == 1 and u not in (n for s2 in body for n in _assigned_names(s2) if s2 is not s)):
        return None
    return k, writes[0], pair[1].id


def _invariant_read(body, k, j, written):
    """Whether body[k] is `u = a[index]`, an element the loop does not change (its index has no
    name the loop assigns: views() checked that), of an array it does not write, into a name
    assigned there alone and read only after it. Such a read moves to the chunk's start: LLVM
    reloads it on every trip otherwise (a store through another array might have changed it),
    which took W4's pair loop 5-8% of its time. Within the chunk loop, it runs only when the
    loop does (an index may be out of range when the loop has no trips)."""
    s = body[k]
    if not (isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name) and isinstance(s.value, gast.Subscript)
            and isinstance(s.value.value, gast.Name) and s.value.value.id not in written):
        return False
    index = s.value.slice.elts if isinstance(s.value.slice, gast.Tuple) else [s.value.slice]
    if isinstance(index[0], gast.Name) and index[0].id == j:
        return False
    u, assigned = s.targets[0].id, [t for other in body for t in _assigned_names(other)]
    return (assigned.count(u) == 1 and s.value.value.id not in assigned
            and not any(u in _read_names(other) for other in body[:k + 1]))


def _flat_offset(aval, rest):
    """The flat offset of `[j, *rest]` (constants) in a C-ordered row of aval, or None."""
    if not (isinstance(aval, P.AVal) and aval.ndim == 1 + len(rest)
            and all(type(d) is int for d in aval.shape[1:])):
        return None
    offset = 0
    for c, dim in zip(rest, aval.shape[1:]):
        if not (isinstance(c, gast.Constant) and type(c.value) is int and -dim <= c.value < dim):
            return None
        offset = offset * dim + c.value % dim
    return offset


def _row_size(aval):
    size = 1
    for d in aval.shape[1:]:
        size *= d
    return size


def _is_float(aval):
    return isinstance(aval, float) or (isinstance(aval, P.AVal) and aval.ndim == 0 and aval.dtype.kind == "f")


def _is_int(aval):
    return (isinstance(aval, int) and not isinstance(aval, bool)) or \
        (isinstance(aval, P.AVal) and aval.ndim == 0 and aval.dtype.kind in "iu")


# -- building ------------------------------------------------------------------------------------

def _indexed(stmt, j, t, flat, part):
    """stmt (a copy) with `x[j, c...]` as `x_chunk[size * t + offset]` and `/` as divide."""
    def converted(value):
        if isinstance(value, gast.Subscript) and getattr(value.value, "id", None) in flat:
            return _flat_read(value, j, t, flat, part)
        if isinstance(value, gast.BinOp) and isinstance(value.op, gast.Div):
            return N.call("divide", value.left, value.right)
        return value
    return N.replace_children(stmt, converted)


def _flat_read(sub, j, t, flat, part):
    name = sub.value.id
    index = sub.slice.elts if isinstance(sub.slice, gast.Tuple) else [sub.slice]
    if not (isinstance(index[0], gast.Name) and index[0].id == j):
        return sub
    aval = flat[name]
    offset = _flat_offset(aval, index[1:])
    if isinstance(part[name], dict):            # read through the column's copy
        node = N.subscript(N.name(part[name][offset]), N.name(t))
        node.ctx = sub.ctx
        return node
    position = _times(_row_size(aval), N.name(t))
    if offset:
        position = _binop(gast.Add, position, N.const(offset))
    node = N.subscript(N.name(part[name]), position)
    node.ctx = sub.ctx
    return node


def _made_c_ordered(stmts, names, avals):
    """stmts with each `x = zeros_like(y)` of `names` as `x = zeros(y.shape, dtype)`."""
    if not names:
        return stmts
    out = []
    for s in stmts:
        if (isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name) and s.targets[0].id in names
                and s.value.func.id == "zeros_like"):
            dtype = avals[s.targets[0].id].dtype.name
            s = _with(s, value=N.call("zeros", N.attribute(N.clone(s.value.args[0]), "shape"), N.name(dtype)))
        elif isinstance(s, (gast.For, gast.While, gast.If)):
            s = _with(s, body=_made_c_ordered(s.body, names, avals), orelse=_made_c_ordered(s.orelse, names, avals))
        out.append(s)
    return out


def _by_columns(stmts, laid_out, avals):
    """stmts with each array of laid_out made as its twin `x_columns = zeros((k, n), dtype)`,
    its elements `x[a, b]` read and written as `x_columns[b, a]`, and the return given
    `x = ascontiguousarray(x_columns.T)`."""
    out = []
    for s in stmts:
        target = s.targets[0].id if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name) else None
        if target in laid_out:
            call = s.value
            rows = N.subscript(N.attribute(N.clone(call.args[0]), "shape"), N.const(0)) \
                if call.func.id == "zeros_like" else _first(call.args[0])
            dtype = avals[target].dtype.name
            shape = N.tuple_([N.const(avals[target].shape[1]), rows])
            out.append(_with(s, targets=[N.name(laid_out[target], store=True)],
                             value=N.call("empty" if call.func.id == "empty" else "zeros", shape, N.name(dtype))))
        elif isinstance(s, (gast.For, gast.While, gast.If)):
            header = "iter" if isinstance(s, gast.For) else "test"
            out.append(_with(s, **{header: _twins(getattr(s, header), laid_out)},
                             body=_by_columns(s.body, laid_out, avals), orelse=_by_columns(s.orelse, laid_out, avals)))
        else:
            s = _twins(s, laid_out)
            if isinstance(s, gast.Return):
                read = {n.id for n in N.nodes_of(s) if isinstance(n, gast.Name)}
                out += [_lined(N.assign(x, N.call("ascontiguousarray", N.attribute(N.name(twin), "T"))),
                               getattr(s, "lineno", None)) for x, twin in laid_out.items() if x in read]
            out.append(s)
    return out


def _twins(tree, laid_out):
    """A copy of tree with each element `x[a, b]` of an array of laid_out as `x_columns[b, a]`."""
    def twin(value):
        if isinstance(value, gast.Subscript) and getattr(value.value, "id", None) in laid_out:
            a, b = value.slice.elts
            node = N.subscript(N.name(laid_out[value.value.id]), N.tuple_([b, a]))
            node.ctx = value.ctx
            return node
        return value
    return N.replace_children(N.copy_tree(tree), twin)


def _first(shape):
    """The first item of a shape expression."""
    if isinstance(shape, gast.Tuple):
        return N.clone(shape.elts[0])
    return N.subscript(N.clone(shape), N.const(0))


def _with(node, **fields):
    """A shallow copy of node with fields replaced (its line number kept)."""
    new = node.__class__.__new__(node.__class__)
    new.__dict__.update(node.__dict__)
    new.__dict__.update(fields)
    return new


def _lined(stmt, lineno):
    if lineno is not None:
        stmt.lineno = lineno
    return stmt


def _binop(op, left, right):
    return gast.BinOp(left=left, op=op(), right=right)


def _times(size, node):
    return node if size == 1 else _binop(gast.Mult, N.const(size), node)


def _compare(left, right):
    return gast.Compare(left=left, ops=[gast.Lt()], comparators=[right])


def _slice(lower):
    return gast.Slice(lower=lower, upper=None, step=None)


def _for(var, range_args, body, lineno):
    return _lined(gast.For(target=N.name(var, store=True), iter=N.call("range", *range_args), body=body,
                           orelse=[], type_comment=None), lineno)


def _store(buffer, t, term):
    target = N.subscript(N.name(buffer), N.name(t))
    target.ctx = gast.Store()
    return N.assign(target, N.name(term))

