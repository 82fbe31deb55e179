"""Elementwise fusion for the cpu target: a run of array statements over one shape becomes
one loop nest, so that their temporaries are never allocated.

The generated source stays as the user reads it (`s2sgrad.source`); codegen applies this
pass to the text the cpu backend compiles, as the cuda backend fuses its own chains. In

    lx = lx_mul + lx_einsum2            # (1000, 25, 10) float64
    inner_mul = lx * lx
    inner_reduce_sum = sum_axis(inner_mul, 2)

every statement costs NumPy's (or Numba's) pass over memory and a fresh array; fused, one
loop over the 250,000 elements computes `lx` and `inner_mul` as scalars, stores what is
read after the run and adds each square into the sum:

    for i0 in range(n0):                # n0 = lx_mul.shape[0], ...
        for i1 in range(n1):
            for i2 in range(n2):
                t = float64(lx_mul[i0, i1, i2] + lx_einsum2[i0, i1, i2])
                lx_out[i0, i1, i2] = t
                ...
                r[i0, i1] += t2

A run is a maximal sequence of consecutive statements of one block (a function's, a loop
body, a branch), each either
- elementwise: `name = E`, where E combines operands with + - * / and unary minus and
  the kernels in UNARY and BINARY, its result a float array of the run's static shape S;
  operands are names of float arrays (or scalars) whose static shapes broadcast to S,
  typed constants, and views `expand_dims(a, k)`, `broadcast_to(a, shape)` and basic
  slices `a[lo:hi, ...]` with constant bounds; or `name = other`, another name for a
  value of the run (both names then get its one array); or
- reducing: `name = F`, where F holds `sum_axis(E, k)`, `sum_axis_keep(E, k)` or
  `sum_all(E)` of such an E over S; the sum accumulates in the loop, and the statement
  runs after it with the sum in place of the call; or
- adding: `x[lo:hi, ...] += E`, E over S, into an array x that this block made (`x =
  zeros_like(...)`, ...) and mentioned since only so: no other name can hold x's object,
  so no operand of the run reads what the loop adds. The run must not read x.
A result is stored (in a fresh array) only when something after the run reads its name:
at a function's top level, a later statement that mentions it; in a loop body or a
branch, any statement but the run's own that reads it, and a name the run reads before
assigning it (the loop's next iteration reads the new value). Statements after a
reducing one may neither read nor assign the names it reads or assigns, since it runs
after the loop. A statement that cannot join the run but shares no
name with it moves before it (those statements are then fused among themselves). A run
of one elementwise statement stays as it is: Numba already fuses the operators of one
statement. Loop lengths are read from the operands, whose shapes are checked against
them before the loop (it reads without bounds checks), so the code does not depend on
sizes and a new batch size compiles the same text.

Each element is computed with scalar operations in the order NumPy applies them to
arrays, and each statement's value is cast to its array's dtype, so results equal the
unfused program's except for the order in which sums add (and, within a statement, the
precision of float32 intermediates mixed with float64). Division goes through NumPy's
`divide`, which gives inf and nan as arrays do where Numba's `/` on scalars would raise."""
import copy
from collections import Counter

import gast
import numpy as np

from . import nodes as N
from . import primitives as P
from .analyze import DTYPE_NAMES
from .element_ops import FRESH
from .normalize import names_in

UNARY = {"exp", "log", "sqrt", "tanh", "sigmoid", "relu", "square"}
BINARY = {"maximum", "minimum"}
REDUCTIONS = {"sum_axis", "sum_axis_keep", "sum_all"}
OPERATORS = (gast.Add, gast.Sub, gast.Mult, gast.Div)
NUMERIC_DTYPES = DTYPE_NAMES - {"bool_"}     # typed constants such as float64(0.5)


def fuse_function(stmts, avals, names):
    """A function's statements with their runs fused, and whether any was. At the top level
    a run's values are stored when a later statement mentions them; inside loops and
    branches, when any statement but the run's own reads them (a loop reads its body's
    values again in its next iteration), or when the run reads them before assigning them."""
    memo = {}
    _index(stmts, memo)
    out, fused = fuse_elementwise(stmts, avals, names, memo=memo)
    return out, _fuse_blocks(out, avals, names, memo, _reads(out)) or fused


def _index(stmts, memo):
    """Fill memo with the names every statement mentions, nested ones too, in one walk."""
    found = set()
    for stmt in stmts:
        if isinstance(stmt, (gast.For, gast.While, gast.If)):
            mine = names_in(stmt.target) | names_in(stmt.iter) if isinstance(stmt, gast.For) else names_in(stmt.test)
            mine |= _index(stmt.body, memo) | _index(stmt.orelse, memo)
        else:
            mine = names_in(stmt)
        memo[id(stmt)] = mine
        found |= mine
    return found


def _reads(stmts):
    """How often each name is read in stmts (an augmented assignment reads its target)."""
    out = Counter()
    for stmt in stmts:
        for n in N.nodes_of(stmt):
            if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load):
                out[n.id] += 1
            elif isinstance(n, gast.AugAssign) and isinstance(n.target, gast.Name):
                out[n.target.id] += 1
    return out


def _fuse_blocks(stmts, avals, names, memo, total):
    """Fuse the runs in the blocks of stmts's loops and branches, in place in stmts, whose
    compound statements are replaced by copies: the originals are the readable source's."""
    fused = False
    for pos, stmt in enumerate(stmts):
        if not isinstance(stmt, (gast.For, gast.While, gast.If)) or getattr(stmt, "fused", False):
            continue
        stmt = stmts[pos] = copy.copy(stmt)
        for field in ("body", "orelse"):
            block = getattr(stmt, field)
            if block:
                new, changed = fuse_elementwise(block, avals, names, memo=memo, total=total)
                fused = _fuse_blocks(new, avals, names, memo, total) or changed or fused
                setattr(stmt, field, new)
    return fused


def fuse_elementwise(stmts, avals, names, after=frozenset(), memo=None, total=None):
    """stmts (one block's statements) with each fusable run replaced by its loop nest;
    `names` makes fresh names, `after` holds the names read after stmts. Returns
    (statements, whether anything was fused). memo: id(statement) -> the names it mentions.
    total: how often each name is read in the function, for a block inside a loop or branch
    (see fuse_function); then `after` is not used."""
    memo = {} if memo is None else memo
    read_from = _suffix_reads(stmts, after, memo) if total is None else [set()] * (len(stmts) + 1)
    private = set()          # arrays this block made whose object no other name can hold
    out, run, fused = [], _Run(avals, names, memo, private), False
    for pos, stmt in enumerate(stmts + [None]):
        if stmt is not None and (run.add(stmt) or run.passes(stmt)):
            _track_private(private, stmt, memo)
            continue
        # the statements that passed the run go first, themselves fused where they can be
        passed, changed = run.passed, False
        if passed:
            passed, changed = fuse_elementwise(passed, avals, names, read_from[pos] | run.mentioned, memo, total)
        code = run.close(read_from[pos] if total is None else run.read_elsewhere(total))
        fused = fused or changed or code is not None
        out += passed + (code if code is not None else run.stmts)
        run = _Run(avals, names, memo, private)
        if stmt is not None:
            if not run.add(stmt):
                out.append(stmt)
                run = _Run(avals, names, memo, private)
            _track_private(private, stmt, memo)
    return out, fused



def _track_private(private, stmt, memo):
    """After stmt: `x = zeros_like(...)` (any new array) makes x private; `x[...] += e` keeps
    it so; any other mention of x (which might make another name hold its object) ends it."""
    target = _accumulated(stmt)
    kept = {target} if target is not None and target not in names_in(stmt.value) else set()
    private -= _mentions(stmt, memo) - kept
    if (isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], gast.Name)
            and isinstance(stmt.value, gast.Call) and getattr(stmt.value.func, "id", None) in FRESH):
        private.add(stmt.targets[0].id)


def _accumulated(stmt):
    """x of `x[...] += e`, else None."""
    if (isinstance(stmt, gast.AugAssign) and isinstance(stmt.op, gast.Add) and isinstance(stmt.target, gast.Subscript)
            and isinstance(stmt.target.value, gast.Name)):
        return stmt.target.value.id
    return None


def _mentions(stmt, memo):
    found = memo.get(id(stmt))
    if found is None:
        found = memo[id(stmt)] = names_in(stmt)
    return found


def _suffix_reads(stmts, after, memo):
    """read_from[i]: every name mentioned in stmts[i:] or in `after` (reads and writes:
    conservative), for i up to len(stmts)."""
    out, acc = [None] * len(stmts) + [set(after)], set(after)
    for i in range(len(stmts) - 1, -1, -1):
        acc = acc | _mentions(stmts[i], memo)
        out[i] = acc
    return out


def _reductions(node):
    """The sum calls in node."""
    return [n for n in N.walk(node) if isinstance(n, gast.Call) and isinstance(n.func, gast.Name)
            and n.func.id in REDUCTIONS]


def _static_shape(aval):
    if isinstance(aval, P.AVal) and all(type(d) is int for d in aval.shape):
        return tuple(aval.shape)
    return None


def _broadcast(shapes):
    rank = max((len(s) for s in shapes), default=0)
    out = [1] * rank
    for s in shapes:
        for k, d in enumerate(s, rank - len(s)):
            if out[k] == 1:
                out[k] = d
            elif d not in (1, out[k]):
                return None
    return tuple(out)


class _Leaf:
    """An array operand seen through views: the view has shape `sizes`, and `dims[d]` is the
    view axis of the array's axis d (expand_dims adds a view axis, broadcast_to widens); a
    basic slice reads `extents[d]` elements of axis d from `offsets[d]` on."""

    def __init__(self, name, shape):
        self.name, self.shape, self.dims, self.sizes = name, shape, list(range(len(shape))), list(shape)
        self.offsets, self.extents = [0] * len(shape), list(shape)

    @property
    def rank(self):
        return len(self.sizes)

    def view_shape(self):
        return tuple(self.sizes)

    def index(self, shape, loop_vars):
        """The subscript reading this leaf's element at loop position loop_vars over shape."""
        shift = len(shape) - self.rank
        idx = []
        for d, v in enumerate(self.dims):
            offset = self.offsets[d]
            if self.extents[d] == 1:
                idx.append(N.const(offset))
            else:
                i = N.name(loop_vars[v + shift])
                idx.append(gast.BinOp(left=i, op=gast.Add(), right=N.const(offset)) if offset else i)
        if not idx:
            return N.name(self.name)
        return N.subscript(N.name(self.name), idx[0] if len(idx) == 1 else N.tuple_(idx))


class _Run:
    def __init__(self, avals, names, memo, private):
        self.avals, self.names, self.memo, self.private = avals, names, memo, private
        self.written = set()     # private arrays the loop adds into (`x[...] += e`)
        self.mentioned = set()   # every name the run's statements mention
        self.shape = None
        self.stmts = []          # the run's statements, emitted as they are if it is not fused
        self.passed = []         # statements independent of the run, emitted before it
        self.leaves = {}         # (array, loop axis, offset and extent of each of its axes) -> its shape
        self.read = set()        # arrays read in the loop (before any assignment in the run)
        self.body = []           # (kind, target, scalar expression or reduction record)
        self.temps = {}          # name assigned in the run -> its scalar temporary
        self.final = {}          # name -> temporary of its last assignment in the run
        self.dtypes = {}         # temporary -> dtype
        self.posts = []          # reducing statements, run after the loop
        self.reductions = []     # (accumulator, kind, axis, dtype, element expression)
        self.post_targets, self.post_reads = set(), set()

    # -- deciding -----------------------------------------------------------------------
    def passes(self, stmt):
        """Whether stmt, which does not join the run, can run before it instead: an assignment
        to names that shares no name with the run's statements (it is put in self.passed)."""
        if not (self.stmts and isinstance(stmt, gast.Assign) and not getattr(stmt, "untyped", False)
                and all(isinstance(t, gast.Name) for t in stmt.targets)):
            return False
        if _mentions(stmt, self.memo) & self.mentioned:
            return False
        self.passed.append(stmt)
        return True

    def add(self, stmt):
        if _accumulated(stmt) is not None:
            if self._accumulate(stmt):
                self.stmts.append(stmt)
                self.mentioned |= _mentions(stmt, self.memo)
                return True
            return False
        if not (isinstance(stmt, gast.Assign) and len(stmt.targets) == 1
                and isinstance(stmt.targets[0], gast.Name)) or getattr(stmt, "untyped", False):
            return False
        target, value = stmt.targets[0].id, stmt.value
        if target in self.post_targets or target in self.post_reads:
            return False
        if self._elementwise(target, value) or self._reducing(stmt, target, value):
            self.stmts.append(stmt)
            self.mentioned |= _mentions(stmt, self.memo)
            return True
        return False

    def _elementwise(self, target, value):
        if isinstance(value, gast.Name):          # an alias: the same array, if stored
            if value.id not in self.temps:
                return False
            self.temps[target] = self.final[target] = self.temps[value.id]
            return True
        aval = self.avals.get(target)
        if not (_static_shape(aval) and aval.dtype.kind == "f"):
            return False
        shape = self._shape(value)
        if shape != tuple(aval.shape) or not shape or (self.shape is not None and shape != self.shape):
            return False
        if self._dtype(value) is None:         # (_shape refused names only the loop's end assigns)
            return False
        self.shape = shape
        expr = self._scalar(value)
        temp = self.names.fresh("_e")
        self.body.append(("let", temp, N.call(aval.dtype.name, expr)))
        self.dtypes[temp] = aval.dtype
        self.temps[target] = self.final[target] = temp
        return True

    def _accumulate(self, stmt):
        """`x[lo:hi, ...] += E`, E elementwise over the run's shape: added in the loop. x must be
        private (so no operand of the run is its object) and read nowhere in the run."""
        x = stmt.target.value.id
        shape = _static_shape(self.avals.get(x))
        if (x not in self.private or x in self.read or x in self.temps or x in self.post_targets
                or x in self.post_reads or not shape or self.avals[x].dtype.kind != "f"):
            return False
        leaf = self._slices(stmt.target, _Leaf(x, shape))
        value_shape = self._shape(stmt.value)
        if leaf is None or not value_shape or value_shape != leaf.view_shape():
            return False
        if (self.shape is not None and value_shape != self.shape) or self._dtype(stmt.value) is None:
            return False
        self.shape = value_shape
        expr = self._scalar(stmt.value)
        self.leaves[x, tuple(leaf.dims), tuple(leaf.offsets), tuple(leaf.extents)] = leaf.shape
        self.body.append(("add", leaf, N.call(self.avals[x].dtype.name, expr)))
        self.written.add(x)
        return True

    def _reducing(self, stmt, target, value):
        if not _reductions(value):
            return False
        value = N.copy_tree(value)        # the statement itself stays as it is if the run is not fused
        found = _reductions(value)
        if any(set(N.walk(f.args[0])) & set(found[:i] + found[i + 1:]) for i, f in enumerate(found)):
            return False
        records = []
        shape = self.shape
        for call in found:
            arg = call.args[0]
            s = self._shape(arg)
            dtype = self._dtype(arg)
            if not s or (shape is not None and s != shape) or dtype is None:
                return False
            shape = s
            if call.func.id == "sum_all":
                axis = None
            else:
                given = call.args[1].value if len(call.args) == 2 and isinstance(call.args[1], gast.Constant) else None
                if type(given) is not int:
                    return False
                axis = given + (len(s) if given < 0 else 0)
                if not 0 <= axis < len(s):
                    return False
            records.append((call, call.func.id, axis, dtype))
        outside = set()
        replaced = {id(c) for c in found}
        for n in _walk_outside(value, replaced):
            if isinstance(n, gast.Name):
                outside.add(n.id)
        self.shape = shape
        subs = {}
        for call, kind, axis, dtype in records:
            acc = self.names.fresh("_r")
            self.reductions.append((acc, kind, axis, dtype, self._scalar(call.args[0])))
            subs[id(call)] = acc
        self.posts.append(N.assign(target, _replace(value, subs), getattr(stmt, "lineno", None)))
        self.post_targets.add(target)
        self.post_reads |= outside
        return True

    # -- shapes, dtypes and scalar code of elementwise expressions ---------------------
    def _view(self, node):
        """A _Leaf for an array operand (a name or a view of one), else None."""
        if isinstance(node, gast.Name):
            if node.id in self.temps or node.id in self.post_targets or node.id in self.written:
                return None
            shape = _static_shape(self.avals.get(node.id))
            return _Leaf(node.id, shape) if shape else None
        if isinstance(node, gast.Subscript) and isinstance(node.value, gast.Name):
            return self._sliced(node)
        if not (isinstance(node, gast.Call) and isinstance(node.func, gast.Name)):
            return None
        if node.func.id == "expand_dims" and len(node.args) == 2 and isinstance(node.args[1], gast.Constant):
            leaf = self._view(node.args[0])
            axis = node.args[1].value
            if leaf is None or type(axis) is not int:
                return None
            axis += leaf.rank + 1 if axis < 0 else 0
            if not 0 <= axis <= leaf.rank:
                return None
            leaf.dims = [v + (v >= axis) for v in leaf.dims]
            leaf.sizes.insert(axis, 1)
            return leaf
        if node.func.id == "broadcast_to" and len(node.args) == 2:
            leaf = self._view(node.args[0])
            target = self._static_tuple(node.args[1])
            if leaf is None or target is None or len(target) < leaf.rank:
                return None
            if _broadcast([leaf.view_shape(), target]) != target:
                return None
            shift = len(target) - leaf.rank
            leaf.dims = [v + shift for v in leaf.dims]
            leaf.sizes = list(target)
            return leaf
        return None

    def _sliced(self, node):
        """A leaf for `a[lo:hi, ...]`: basic slices with constant bounds and step 1."""
        return self._slices(node, self._view(node.value))

    def _slices(self, node, leaf):
        index = node.slice.elts if isinstance(node.slice, gast.Tuple) else [node.slice]
        if leaf is None or len(index) > len(leaf.shape):
            return None
        for d, part in enumerate(index):
            if not isinstance(part, gast.Slice) or part.step is not None:
                return None
            bounds = [None if b is None else b.value if isinstance(b, gast.Constant) else False
                      for b in (part.lower, part.upper)]
            if any(b is False or (b is not None and type(b) is not int) for b in bounds):
                return None
            start, stop, _ = slice(*bounds).indices(leaf.shape[d])
            leaf.offsets[d], leaf.extents[d] = start, max(stop - start, 0)
            leaf.sizes[d] = leaf.extents[d]
        return leaf

    def _static_tuple(self, node):
        if isinstance(node, gast.Tuple) and all(isinstance(e, gast.Constant) and type(e.value) is int
                                                for e in node.elts):
            return tuple(e.value for e in node.elts)
        if (isinstance(node, gast.Attribute) and node.attr == "shape" and isinstance(node.value, gast.Name)):
            return _static_shape(self.avals.get(node.value.id))
        return None

    def _operands(self, node):
        """The operands of an elementwise operation node, or None if it is not one."""
        if isinstance(node, gast.BinOp) and isinstance(node.op, OPERATORS):
            return [node.left, node.right]
        if isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.USub):
            return [node.operand]
        if isinstance(node, gast.Call) and isinstance(node.func, gast.Name) and not node.keywords:
            if (node.func.id in UNARY and len(node.args) == 1) or (node.func.id in BINARY and len(node.args) == 2):
                return list(node.args)
        return None

    def _is_constant(self, node):
        if isinstance(node, gast.Constant):
            return type(node.value) in (int, float)
        return (isinstance(node, gast.Call) and isinstance(node.func, gast.Name) and node.func.id in NUMERIC_DTYPES
                and len(node.args) == 1 and isinstance(node.args[0], gast.Constant) and not node.keywords)

    def _scalar_name(self, node):
        """A name holding a scalar (a weak Python number or a NumPy scalar), not an array."""
        if not isinstance(node, gast.Name) or node.id in self.temps or node.id in self.post_targets:
            return False
        aval = self.avals.get(node.id)
        return type(aval) in (int, float) or (isinstance(aval, type) and aval in (int, float))

    def _shape(self, node):
        """The static shape of an elementwise expression, or None where it is not one."""
        if isinstance(node, gast.Name) and node.id in self.temps:
            return self.shape
        if self._is_constant(node) or self._scalar_name(node):
            return ()
        operands = self._operands(node)
        if operands is not None:
            shapes = [self._shape(a) for a in operands]
            return None if any(s is None for s in shapes) else _broadcast(shapes)
        leaf = self._view(node)
        if leaf is None:
            return None
        return leaf.view_shape()

    def _dtype(self, node):
        """The dtype NumPy gives the expression's arrays, or None unless it is a float one."""
        if isinstance(node, gast.Name) and node.id in self.temps:
            return self.dtypes[self.temps[node.id]]
        if self._is_constant(node):
            return np.dtype(node.func.id) if isinstance(node, gast.Call) else None
        if self._scalar_name(node):
            return None
        operands = self._operands(node)
        if operands is None:
            leaf = self._view(node)
            dtype = self.avals[leaf.name].dtype if leaf is not None else None
            return dtype if dtype is not None and dtype.kind == "f" else None
        dtypes = [self._dtype(a) for a in operands]
        strong = [d for d in dtypes if d is not None]
        if not strong or any(d is None and not self._weak(a) for d, a in zip(dtypes, operands)):
            return None
        return np.result_type(*strong)

    def _weak(self, node):
        return (isinstance(node, gast.Constant) or self._scalar_name(node)) and self._shape(node) == ()

    def _scalar(self, node):
        """The element's expression: temporaries for the run's values, subscripts for arrays."""
        if isinstance(node, gast.Name) and node.id in self.temps:
            return N.name(self.temps[node.id])
        if self._is_constant(node) or self._scalar_name(node):
            return N.copy_tree(node)
        operands = self._operands(node)
        if operands is not None:
            args = [self._scalar(a) for a in operands]
            if isinstance(node, gast.BinOp):
                if isinstance(node.op, gast.Div):
                    return N.call("divide", *args)
                return gast.BinOp(left=args[0], op=type(node.op)(), right=args[1])
            if isinstance(node, gast.UnaryOp):
                return gast.UnaryOp(op=gast.USub(), operand=args[0])
            return N.call(node.func.id, *args)
        leaf = self._view(node)
        shift = len(self.shape) - leaf.rank
        self.leaves[leaf.name, tuple(v + shift for v in leaf.dims), tuple(leaf.offsets),
                    tuple(leaf.extents)] = leaf.shape
        self.read.add(leaf.name)
        return _Pending(leaf)

    # -- writing the loop nest ----------------------------------------------------------
    def close(self, read_after):
        """The fused statements, or None to keep self.stmts as they are."""
        if not self.reductions and len(self.body) < 2:
            return None
        live = read_after | set().union(*(names_in(p) for p in self.posts))
        shape = self.shape
        loop_vars = [self.names.fresh(f"_i{k}") for k in range(len(shape))]
        before, sizes = self._extents(shape)
        inner, after, stores = [], [], {}
        for target, temp in self.final.items():
            if target in live:
                if temp not in stores:    # names aliasing one value share its array, as unfused
                    stores[temp] = self.names.fresh("_o")
                    before.append(N.assign(stores[temp], N.call("empty", N.tuple_(sizes),
                                                                N.name(self.dtypes[temp].name))))
                after.append(N.assign(target, N.name(stores[temp])))
        index = N.tuple_([N.name(v) for v in loop_vars]) if len(loop_vars) > 1 else N.name(loop_vars[0])
        for kind, temp, expr in self.body:
            if kind == "add":            # temp is the leaf of the array added into
                target = temp.index(shape, loop_vars)
                target.ctx = gast.Store()
                inner.append(gast.AugAssign(target=target, op=gast.Add(), value=_resolve(expr, shape, loop_vars)))
                continue
            inner.append(N.assign(temp, _resolve(expr, shape, loop_vars)))
            if temp in stores:
                inner.append(N.assign(gast.Subscript(value=N.name(stores[temp]), slice=N.clone(index),
                                                     ctx=gast.Store()), N.name(temp)))
        for acc, kind, axis, dtype, expr in self.reductions:
            value = N.call(dtype.name, _resolve(expr, shape, loop_vars))
            if kind == "sum_all" or (kind == "sum_axis" and len(shape) == 1):     # a scalar
                before.append(N.assign(acc, N.call(dtype.name, N.const(0))))
                inner.append(N.assign(acc, gast.BinOp(left=N.name(acc), op=gast.Add(), right=value)))
                continue
            keep = kind == "sum_axis_keep"
            axes = [k for k in range(len(shape)) if k != axis or keep]
            rshape = [N.const(1) if k == axis else N.clone(sizes[k]) for k in axes]
            kept = [N.const(0) if k == axis else N.name(loop_vars[k]) for k in axes]
            before.append(N.assign(acc, N.call("zeros", N.tuple_(rshape), N.name(dtype.name))))
            sub = gast.Subscript(value=N.name(acc), slice=kept[0] if len(kept) == 1 else N.tuple_(kept),
                                 ctx=gast.Store())
            inner.append(gast.AugAssign(target=sub, op=gast.Add(), value=value))
        nest = inner
        for var, size in reversed(list(zip(loop_vars, sizes))):
            nest = [gast.For(target=N.name(var, store=True), iter=N.call("range", N.clone(size)), body=nest,
                             orelse=[], type_comment=None)]
        nest[0].fused = True
        lineno = getattr(self.stmts[0], "lineno", None)
        for stmt in before + nest + after:
            stmt.lineno = lineno
        return before + nest + after + self.posts

    def read_elsewhere(self, total):
        """The run's names that a statement other than its own reads (total: reads in the
        function), and those it reads before assigning them (a loop's carried values)."""
        own = _reads(self.stmts)
        return {n for n in self.final if total[n] > own[n]} | (self.read & set(self.final))

    def _extents(self, shape):
        """(statements, one node per axis): each axis's length, read from an operand that spans
        it (so the code does not depend on sizes, and a new batch size reuses it), then a check
        of every operand's shape against them: the loop reads without bounds checks."""
        stmts, sizes, sources = [], [], set()
        sliced = {a for (_, axes, offsets, extents), dims in self.leaves.items()
                  for a, o, e, n in zip(axes, offsets, extents, dims) if (o, e) != (0, n)}
        for k, size in enumerate(shape):
            # a sliced operand's axis has its written length: the loop must not read past it
            source = None if size == 1 or k in sliced else next(
                ((name, d) for (name, axes, offsets, extents), dims in sorted(self.leaves.items())
                 for d, a in enumerate(axes) if a == k and dims[d] == size and offsets[d] == 0), None)
            if source is None:            # 1, or spanned only by a broadcast_to's written shape
                sizes.append(N.const(size))
            else:
                var = self.names.fresh(f"_n{k}")
                stmts.append(N.assign(var, N.shape_of(*source)))
                sizes.append(N.name(var))
                sources.add(source)
        checked = set()
        for (name, axes, offsets, extents), dims in sorted(self.leaves.items()):
            # an axis read whole has the loop's length (or 1); a sliced one its static length
            expected = tuple(("size", n) if n == 1 or (o, e) != (0, n) else ("axis", a)
                             for n, a, o, e in zip(dims, axes, offsets, extents))
            if all((name, d) in sources for d in range(len(dims))) or (name, expected) in checked:
                continue
            checked.add((name, expected))
            expected = N.tuple_([N.const(v) if kind == "size" else N.clone(sizes[v]) for kind, v in expected])
            test = gast.Compare(left=N.shape_of(name), ops=[gast.NotEq()], comparators=[expected])
            error = N.call("ValueError", N.const(f"s2sgrad internal error: {name} does not have the shape "
                                                 "its fused loop was written for"))
            stmts.append(gast.If(test=test, body=[gast.Raise(exc=error, cause=None)], orelse=[]))
        return stmts, sizes


class _Pending(gast.AST):
    """A leaf's subscript, written once the run's shape (and so its broadcasting) is known."""
    _fields = ()

    def __init__(self, leaf):
        super().__init__()
        self.leaf = leaf


def _resolve(expr, shape, loop_vars):
    if isinstance(expr, _Pending):
        return expr.leaf.index(shape, loop_vars)
    for field, value in gast.iter_fields(expr):
        if isinstance(value, list):
            setattr(expr, field, [_resolve(v, shape, loop_vars) if isinstance(v, gast.AST) else v for v in value])
        elif isinstance(value, gast.AST):
            setattr(expr, field, _resolve(value, shape, loop_vars))
    return expr


def _walk_outside(node, skip):
    """Nodes of `node` outside the subtrees whose ids are in `skip`."""
    if id(node) in skip:
        return
    yield node
    for _, value in gast.iter_fields(node):
        for v in value if isinstance(value, list) else [value]:
            if isinstance(v, gast.AST):
                yield from _walk_outside(v, skip)


def _replace(node, subs):
    if id(node) in subs:
        return N.name(subs[id(node)])
    for field, value in gast.iter_fields(node):
        if isinstance(value, list):
            setattr(node, field, [_replace(v, subs) if isinstance(v, gast.AST) else v for v in value])
        elif isinstance(value, gast.AST):
            setattr(node, field, _replace(value, subs))
    return node
