"""Stage 5, reverse: splice adjoint templates into a backward function.

Walks the forward (A-normal form, blocks of `if`/`for`/`while`) in reverse. Each
active statement's primitive template (`templates/`) is bound to the statement's
names and accumulates into `d_<name>`. Branch decisions and loop trip counts are
replayed from the forward: a condition is a residual value, a loop runs its
recorded trip count backwards. A value the backward reads inside a block is
recorded only when the backward needs it and the block overwrites it: it is pushed
on a typed tape at the end of the block (or at the start of a loop body, for
loop-carried variables) and popped at the start of the block's reverse, unless
it is a cheap scalar the backward can recompute there (a loop index, arithmetic on
values it already has), which costs less than the tape's memory traffic.

A checkpointed loop (loops.py) is an outer loop over segments: its forward runs
untaped and saves only each segment's start (its snapshot), and the reverse of a
segment first re-runs the segment's forward with tapes that live in the backward.

Two kinds of loop do backward work in the forward (fused_loops.py): a top-level loop
whose backward only adds one seed's multiples into adjoints from outside it (a sum over
pairs) computes those sums with the seed set to 1, and the backward scales them; a
scalar body carrying one or two scalar adjoints (an ODE step, branches allowed) computes
its local partial derivatives and multiplies them up into the whole loop's, which are values
of the block around the loop; the loop's backward is one statement per adjoint.

The lowered backward is last rewritten by chains.py, which shortens the dependency
chains its loops carry from one iteration to the next.

The stage knows nothing about individual primitives: everything op-specific is in
the primitive table and the templates.
"""
import functools
import os
import textwrap
from dataclasses import dataclass, field

import gast
import numpy as np

from . import nodes as N
from . import primitives as P
from . import surface
from .analyze import is_active
from .chains import merge_repeated_terms, shorten
from .errors import S2SGradError, UnsupportedSyntaxError
from .fused_loops import fuse_loops, multiply_partials
from .stacked_products import stack_products
from .lowering import Lowerer, lower_block
from .nodes import untyped
from .normalize import is_custom, names_in, statements, targets_of
from .parse import parse_def


PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def all_axes_but(axis, ndim):
    return tuple(a for a in range(ndim) if a != axis)


def inverse_permutation(perm, ndim):
    perm = P.full_perm(perm, ndim)
    return tuple(int(i) for i in np.argsort(perm))


def dtype_of(aval):
    return P.dtype_of(aval) if isinstance(aval, P.AVal) else np.result_type(aval)


def is_one(aval):
    """Whether an operand is the constant 1 (a Python number: constants type as themselves)."""
    return isinstance(aval, (int, float)) and not isinstance(aval, bool) and aval == 1


# Helpers templates call on static values; evaluated while splicing.
STATIC_HELPERS = {"all_axes_but": all_axes_but, "inverse_permutation": inverse_permutation,
                  "split_index": P.split_index}
AVAL_HELPERS = {"dtype_of": dtype_of, "is_one": is_one}


STATIC_COMPARE = {"equal": lambda a, b: a == b, "not_equal": lambda a, b: a != b,
                  "logical_and": lambda a, b: a and b, "logical_or": lambda a, b: a or b}


def static_node(value):
    if isinstance(value, np.dtype):
        return N.name(value.name if value != np.bool_ else "bool_")
    return N.literal(value)


@functools.lru_cache(maxsize=None)
def template_of(prim_name):
    from .templates import load_all
    fn = load_all().get(prim_name)
    if fn is None:
        return None
    module = parse_def(fn)[3]
    if isinstance(module, SyntaxError):
        raise module
    return module.body[0]


def adjoint_name(var):
    return f"d_{var}"


@dataclass
class Block:
    """A block of the forward: the function body, a branch, or a loop body."""
    id: int
    parent: "Block"
    stmts: list
    loop: object = None          # the For/While node whose body this is
    reverse: list = field(default_factory=list)   # its backward statements (set by Reverser)

    @property
    def checkpoint(self):
        """A segment of a checkpointed loop (loops.py): the backward recomputes it."""
        return getattr(self.loop, "checkpoint", False)

    def ancestors(self):
        b = self
        while b is not None:
            yield b
            b = b.parent

    def within(self, other):
        return any(b is other for b in self.ancestors())


@dataclass
class Backward:
    forward: list        # the forward body, instrumented with tapes and trip counters
    body: list           # the backward body (residuals unpacked separately by codegen)
    grads: list          # one expression per differentiated argument
    residuals: list      # forward names the backward reads at top level
    workspace: list      # (tape name, dtype) of scalar tapes: buffers reused from call to call
    restored: set        # arrays whose overwritten elements the backward writes back in place
    parts: dict = field(default_factory=dict)   # fused_loops.py: part name -> its AVal (forward-computed adjoints)
    tapes: set = field(default_factory=set)     # the tapes the forward writes into
    avals: dict = field(default_factory=dict)   # the backward's names (adjoints too) -> AVal


class Reverser:
    def __init__(self, fn, analysis, locate):
        self.analysis = analysis
        self.locate = locate
        self.lowerer = Lowerer(analysis.avals, locate, analysis.known)
        self.typer = self.lowerer.typer
        self.forward_names = {a.id for a in fn.args.args}
        self.arguments = set(self.forward_names)     # never written: writes into inputs are refused
        self.blocks = []
        self.top = self.make_block(None, fn.body[:-1])
        self.block_of_loop = {}
        self.assigned_in = {}                 # name -> blocks assigning it
        for a in fn.args.args:
            self.assigned_in.setdefault(a.id, []).append(self.top)
        self.scan(self.top)
        self.home = {v: self.lca(bs) for v, bs in self.assigned_in.items()}
        self.carried = {}                     # loop body id -> names carried by that loop
        for v, bs in self.assigned_in.items():
            for b in bs:
                if b.loop is not None and self.home[v] is not b:
                    self.carried.setdefault(b.id, set()).add(v)
        self.snapshot = {b.id: self.snapshot_of(b) for b in self.blocks if b.checkpoint}
        self.counter = 0
        self.contributions = {}               # var -> list of (block, in_place)
        self.needs_init = set()
        self.rebound = set()
        self.dry = True

    # -- block structure -----------------------------------------------------------
    def make_block(self, parent, stmts, loop=None):
        block = Block(len(self.blocks), parent, stmts, loop)
        self.blocks.append(block)
        return block

    def scan(self, block):
        for stmt in block.stmts:
            if isinstance(stmt, gast.If):
                stmt.blocks = (self.make_block(block, stmt.body), self.make_block(block, stmt.orelse))
                for b in stmt.blocks:
                    self.scan(b)
            elif isinstance(stmt, (gast.For, gast.While)):
                body = self.make_block(block, stmt.body, stmt)
                stmt.blocks = (body,)
                stmt.trips = self.fresh_forward(f"n_loop{body.id}", [block, body])
                if isinstance(stmt, gast.For):
                    self.define(stmt.target.id, body)
                self.scan(body)
            else:
                for t in targets_of(stmt):
                    if not isinstance(stmt, gast.Expr):
                        self.define(t, block)

    def snapshot_of(self, block):
        """What a checkpointed segment starts from: the names it assigns that live on
        outside it, and its first index. Refuses what a recomputation cannot repeat."""
        def refuse(message, stmt, hint="drop checkpointed(...) here"):
            loc = self.locate(stmt)
            if loc is None or loc.filename.startswith(PACKAGE_DIR):     # inside a library layer:
                loc = self.locate(block.loop)                            # point at the user's loop
            raise UnsupportedSyntaxError(message, loc, hint)

        for stmt in statements(block.stmts):
            if isinstance(stmt, gast.For) and getattr(stmt, "checkpoint", False):
                refuse("a checkpointed loop inside another checkpointed loop is not supported", stmt,
                       "checkpoint only the outer loop")
            if isinstance(stmt, gast.Expr) and not is_custom(stmt):
                refuse("a checkpointed loop cannot write into an array: its backward recomputes the loop from "
                       "saved loop variables, not saved arrays", stmt,
                       "drop checkpointed(...) here, or build the values without element writes")
            if isinstance(stmt, gast.Assign) and isinstance(stmt.value, gast.Call) \
                    and getattr(stmt.value.func, "id", None) in P.RANDOM:
                refuse("a checkpointed loop cannot draw random numbers (dropout): recomputing it would draw new "
                       "ones", stmt)
        names = {v for v, bs in self.assigned_in.items()
                 if any(b.within(block) for b in bs) and not self.home[v].within(block)}
        return (names - {block.loop.trips}) | {block.loop.target.id}

    def fresh_forward(self, name, blocks):
        for b in blocks:
            self.define(name, b)
        return name

    def define(self, name, block):
        self.forward_names.add(name)
        self.assigned_in.setdefault(name, []).append(block)

    @staticmethod
    def lca(blocks):
        common = None
        for b in blocks:
            chain = list(b.ancestors())
            common = chain if common is None else [x for x in common if x in chain]
        return common[0]

    # -- adjoints ------------------------------------------------------------------------
    def contribute(self, var, expr, block, index=None):
        """Add `expr` to var's adjoint (at `index` in place when given)."""
        self.contributions.setdefault(var, []).append((block, index is not None))
        if self.dry:
            self.adjoints.setdefault(var, adjoint_name(var))
            return []
        name = adjoint_name(var)
        if index is not None:
            return [gast.AugAssign(target=gast.Subscript(value=N.name(name), slice=index, ctx=gast.Store()),
                                   op=gast.Add(), value=expr)]
        if var in self.needs_init or var in self.adjoints:
            current = self.adjoints.get(var, name)
            self.adjoints[var] = name
            return [N.assign(name, N.call("add", N.name(current), expr))]
        if isinstance(expr, gast.Name) and expr.id not in self.rebound:
            self.adjoints[var] = expr.id          # d_x is d_z: alias, no copy
            return []
        self.adjoints[var] = name
        return [N.assign(name, expr)]

    def adjoint_of(self, var):
        if var in self.needs_init or (self.dry and var in self.contributions):
            return N.name(adjoint_name(var))
        if var in self.adjoints:
            return N.name(self.adjoints[var])
        return None

    def run(self, ret):
        """Two passes: the first finds which adjoints need zero-initialising (those
        accumulated across blocks, in place, or through merge variables)."""
        passes = [True] * 8 + [False]
        known = -1
        for dry in passes:
            if dry and known == len(self.contributions):
                continue        # dry passes reached a fixed point (adjoints flow around loop back-edges)
            known = len(self.contributions) if dry else known
            self.dry = dry
            self.adjoints = {}
            seeds = self.seed(ret.value, N.name("sens"), self.top)
            body = self.reverse_block(self.top)
            if dry:
                for var, uses in self.contributions.items():
                    home = self.home.get(var, self.top)
                    if any(b is not home or in_place for b, in_place in uses) or self.is_merge(var):
                        self.needs_init.add(var)
                # adjoints that are re-initialised or reset: never alias them by name
                self.rebound = {adjoint_name(v) for v in self.needs_init}
        return seeds, body

    def forward_names_in_order(self):
        return list(self.assigned_in)      # arguments, then definitions in source order

    def is_merge(self, var):
        return len(self.assigned_in.get(var, ())) > 1

    def seed(self, out_node, sens_node, block):
        out = []
        if isinstance(out_node, gast.Name):
            if out_node.id in self.analysis.varied:
                out += self.contribute(out_node.id, sens_node, block)
        elif isinstance(out_node, gast.Tuple):
            for i, elt in enumerate(out_node.elts):
                out += self.seed(elt, N.subscript(sens_node, i), block)
        return out

    # -- statements -------------------------------------------------------------------------
    def reverse_block(self, block):
        out = []
        for stmt in reversed(block.stmts):
            if isinstance(stmt, gast.If):
                then_rev = self.reverse_block(stmt.blocks[0])
                else_rev = self.reverse_block(stmt.blocks[1])
                if then_rev or else_rev:
                    node = gast.If(test=stmt.test, body=then_rev, orelse=else_rev)
                    node.lineno = stmt.lineno
                    node.blocks = stmt.blocks
                    out.append(node)
            elif isinstance(stmt, (gast.For, gast.While)):
                body_rev = self.reverse_block(stmt.blocks[0])
                if body_rev:
                    k = f"_k{stmt.blocks[0].id}"
                    node = gast.For(target=N.name(k, store=True), iter=N.call("range", N.name(stmt.trips)),
                                    body=body_rev, orelse=[], type_comment=None)
                    node.lineno = stmt.lineno
                    node.blocks = stmt.blocks
                    out.append(node)
            elif is_custom(stmt):
                out += self.reverse_custom(stmt, block)
            elif getattr(stmt, "no_grad", False):
                pass
            elif getattr(stmt, "merge", False) and isinstance(stmt.value, (gast.Name, gast.Constant)):
                out += self.reverse_copy(stmt, block)
            elif is_active(stmt, self.analysis) and self.differentiable(stmt):
                out += self.reverse_primitive(stmt, block)
            if isinstance(stmt, gast.Expr) and not is_custom(stmt):   # a write: its old element may need restoring
                marker = untyped(gast.Expr(value=N.const(None)))
                marker.restore = stmt
                out.append(marker)
        block.reverse = out
        return out

    def reverse_custom(self, stmt, block):
        """A custom-bprop cell: dout is the adjoint of its outputs; its bprop's results
        are the contributions to its inputs."""
        c = stmt.custom
        if not any(self.adjoint_of(o) is not None for o in c["outputs"]) and not self.dry:
            return []
        out = []
        for o, d in zip(c["outputs"], c["dout"]):
            self.typer.avals[d] = self.analysis.avals[o]
            adj = self.adjoint_of(o)
            out.append(N.assign(d, adj if adj is not None else N.call("zeros_like", N.name(o))))
        out += [N.copy_tree(b) for b in c["bprop"]]
        for x, g in zip(c["inputs"], c["grads"]):
            if x is not None and g is not None and x in self.analysis.varied:
                out += self.contribute(x, g, block)
        return self.lined(out, stmt)

    @staticmethod
    def differentiable(stmt):
        value = stmt.value
        return isinstance(value, gast.Call) and P.TABLE[value.func.id].differentiable

    def reverse_copy(self, stmt, block):
        """`m = src` of a merge variable: d_src += d_m, and d_m restarts from zero."""
        (m,) = targets_of(stmt)
        if m not in self.analysis.varied or m not in self.analysis.useful:
            return []
        out = []
        d_m = self.adjoint_of(m)
        src = stmt.value
        if d_m is not None and isinstance(src, gast.Name) and src.id in self.analysis.varied:
            self.rebound.add(adjoint_name(m))      # d_m restarts from zero below: src must copy, not alias it
            out += self.contribute(src.id, d_m, block)
        if not self.dry:
            out.append(N.assign(adjoint_name(m), N.call("zeros_like", N.name(m))))
        return self.lined(out, stmt)

    def reverse_primitive(self, stmt, block):
        call = stmt.value
        prim = P.TABLE[call.func.id]
        tree = template_of(prim.name)
        if tree is None:
            raise S2SGradError(f"{prim.name} has no adjoint template", self.locate(stmt))
        outs = targets_of(stmt)
        if not any(self.adjoint_of(o) is not None or o in self.needs_init for o in outs) and not self.dry:
            return []
        params = [a.id for a in tree.args.args]
        env = dict(zip(params[1:], call.args))
        env[params[0]] = N.name(outs[0]) if prim.n_out == 1 else N.tuple_([N.name(o) for o in outs])
        out = []
        for tstmt in self.fold_ifs(tree.body, env):
            if isinstance(tstmt, gast.Pass):
                continue
            target = tstmt.targets[0] if isinstance(tstmt, gast.Assign) else tstmt.target
            in_place = isinstance(target.value, gast.Subscript)      # d[x][index] (+)= ...
            d_ref = target.value if in_place else target
            operand = env[d_ref.slice.id]
            if not (isinstance(operand, gast.Name) and operand.id in self.analysis.varied):
                continue
            expr = self.substitute(tstmt.value, env)
            if not in_place:
                out += self.contribute(operand.id, expr, block)
                continue
            index = self.substitute(target.slice, env)
            if isinstance(tstmt, gast.AugAssign):
                out += self.contribute(operand.id, expr, block, index=index)
            else:                                   # d[x][index] = value: overwrite an element's adjoint
                self.contributions.setdefault(operand.id, []).append((block, True))
                if not self.dry:
                    out.append(N.assign(gast.Subscript(value=N.name(adjoint_name(operand.id)), slice=index,
                                                       ctx=gast.Store()), expr))
        return self.lined(out, stmt)

    @staticmethod
    def lined(stmts, source):
        for s in stmts:
            s.lineno = source.lineno
        return stmts

    def fold_ifs(self, stmts, env):
        for s in stmts:
            if isinstance(s, gast.If):
                test = self.static(self.substitute(s.test, env))
                yield from self.fold_ifs(s.body if test else s.orelse, env)
            else:
                yield s

    def static(self, node):
        if isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.Not):
            return not self.static(node.operand)
        if isinstance(node, gast.Call) and node.func.id in STATIC_COMPARE:      # x.ndim == 1 in a template
            return STATIC_COMPARE[node.func.id](*[self.static(a) for a in node.args])
        return self.typer.static(node)

    def substitute(self, node, env):
        """Template expression -> generated expression over the statement's names."""
        if isinstance(node, gast.Name):
            return N.clone(env[node.id]) if node.id in env else node
        if isinstance(node, gast.Subscript):
            if isinstance(node.value, gast.Name) and node.value.id == "d":
                var = self.substitute(node.slice, env)
                adj = self.adjoint_of(var.id)
                return adj if adj is not None else N.call("zeros_like", var)
            base = self.substitute(node.value, env)
            if isinstance(base, gast.Tuple):
                return base.elts[node.slice.value]
            index = self.substitute(node.slice, env)
            if isinstance(node.value, gast.Subscript):       # d[x][index]: an element of an adjoint
                return N.call("getitem", base, index)
            return N.subscript(base, index)
        if isinstance(node, gast.Attribute):
            return N.attribute(self.substitute(node.value, env), node.attr)
        if isinstance(node, gast.UnaryOp):
            operand = self.substitute(node.operand, env)
            if isinstance(node.op, gast.Not):
                return N.const(not self.static(operand))
            if isinstance(operand, gast.Constant):
                return N.const(-operand.value if isinstance(node.op, gast.USub) else operand.value)
            return N.call("neg", operand) if isinstance(node.op, gast.USub) else operand
        if isinstance(node, gast.BinOp):
            left, right = (self.substitute(n, env) for n in (node.left, node.right))
            if isinstance(left, gast.Constant) and isinstance(right, gast.Constant):
                return N.const(surface.FOLD_BINOPS[type(node.op)](left.value, right.value))
            return N.call(surface.BINOPS[type(node.op)], left, right)
        if isinstance(node, gast.Compare):
            left, right = self.substitute(node.left, env), self.substitute(node.comparators[0], env)
            return N.call(surface.COMPARE[type(node.ops[0])], left, right)
        if isinstance(node, gast.BoolOp):
            values = [self.substitute(v, env) for v in node.values]
            return N.call("logical_and" if isinstance(node.op, gast.And) else "logical_or", *values)
        if isinstance(node, gast.Call):
            fname = node.func.id
            args = [self.substitute(a, env) for a in node.args]
            if fname in STATIC_HELPERS:
                return static_node(STATIC_HELPERS[fname](*[self.static(a) for a in args]))
            if fname in AVAL_HELPERS:
                return static_node(AVAL_HELPERS[fname](*[self.typer.type_expr(a) for a in args]))
            return N.call(fname, *args)
        if isinstance(node, gast.Tuple):
            return N.tuple_([self.substitute(e, env) for e in node.elts])
        if isinstance(node, gast.Slice):
            return gast.Slice(*[None if p is None else self.substitute(p, env)
                                for p in (node.lower, node.upper, node.step)])
        return N.clone(node)


def reverse(fn, analysis, wrt, locate):
    """The backward of `fn` (A-normal form) for the gradients of `wrt`, and the
    forward instrumented with the tapes and trip counters that backward reads."""
    rev = Reverser(fn, analysis, locate)
    ret = fn.body[-1]
    rev.typer.avals["sens"] = (rev.typer.type_expr(ret.value) if not isinstance(ret.value, gast.Constant)
                               else P.AVal(np.dtype(np.float32), ()))
    seeds, body = rev.run(ret)
    grads = []
    for var in wrt:
        adj = rev.adjoint_of(var)
        grads.append(adj if adj is not None else N.call("zeros_like", N.name(var)))
    return Taper(rev, analysis).finish(seeds, body, grads, wrt)


class Taper:
    """Lowers the backward, then decides where each forward value it reads comes from:
    a residual (a top-level name), or a tape the forward pushes at the end of a block
    (at the start of a loop body, for loop-carried names) and the backward pops at the
    start of the block's reverse."""

    def __init__(self, rev, analysis):
        self.rev = rev
        self.analysis = analysis
        self.lowerer = rev.lowerer
        self.tapes = {}              # (name, block id, kind) -> tape name
        self.restores = []           # setitem statements whose old element the backward restores
        self.reserved = {}           # loop body id -> scalar tapes pushed inside it
        self.workspace = []          # (tape, dtype) of scalar tapes
        self.recomputed = set()      # (name, block id, kind) recomputed in the backward instead
        self.preludes = {}           # block id -> (block, pops, recomputes) at the start of its reverse
        self.reverse_counter = {}    # loop body id -> the reverse loop's counter name
        self.plain = False           # instrumenting a checkpointed segment's forward: no tapes
        self.local_creates = []      # tapes of checkpointed segments, created in the backward
        for name in rev.forward_names:
            if name.startswith("n_loop"):
                self.lowerer.typer.avals[name] = P.AVal(np.dtype(np.int64), ())

    def finish(self, seeds, body, grads, wrt):
        rev = self.rev
        top = rev.top
        backward = merge_repeated_terms(self.lower_block(self.prologue(top) + seeds + body, top))
        adjoints = {adjoint_name(v) for v in rev.contributions} | {"sens"}
        parts = fuse_loops(rev, backward, adjoints, self.lowerer.typer.avals)
        multiply_partials(rev, backward, adjoints, self.lowerer.typer.avals)
        stack_products(backward, rev, self.lowerer.typer.avals)
        lowered_grads = []
        for var, g in zip(wrt, grads):
            want = P.dtype_of(self.analysis.avals[var])
            if P.dtype_of(self.lowerer.typer.type_expr(g)) != want:
                g = N.call("cast", g, N.name(np.dtype(want).name if want != np.bool_ else "bool_"))
            lowered_grads.append(self.lowerer.lower(g))
        arrays_read = set()
        self.value_reads(backward, arrays_read)
        for g in lowered_grads:
            self.value_reads([gast.Expr(value=g)], arrays_read)
        self.add_viewed_arrays(arrays_read)
        backward = self.place_restores(backward, arrays_read)
        residuals = set()
        self.collect_reads(backward, top, residuals, extra=lowered_grads)
        self.resolve_segment_reads(residuals)
        self.place_preludes()
        forward = self.instrument(top)
        backward[0:0] = self.local_creates
        backward = shorten(backward, adjoints, self.lowerer.typer.avals)
        tape_names = []
        for key, tape in self.tapes.items():
            if not self.is_local(key):
                tape_names += [tape, tape + "_n"] if self.is_scalar(key[0]) else [tape]
        for _, tape, scalar in self.restores:
            tape_names += [tape, tape + "_n"] if scalar else [tape]
        order = list(rev.forward_names_in_order())
        residuals = [n for n in order if n in residuals] + tape_names + parts
        return Backward(forward, backward, lowered_grads, residuals, self.workspace,
                        {write.value.args[0].id for write, _, _ in self.restores},
                        {p: self.lowerer.typer.avals[p] for p in parts},
                        set(self.tapes.values()) | {tape for _, tape, _ in self.restores},
                        self.lowerer.typer.avals)

    def prologue(self, block):
        rev = self.rev
        return [N.assign(adjoint_name(v), N.call("zeros_like", N.name(v)))
                for v in sorted(rev.needs_init) if rev.home.get(v, rev.top) is block]

    def lower_block(self, stmts, block):
        out = []
        for stmt in stmts:
            if isinstance(stmt, gast.If):
                a, b = stmt.blocks
                new = gast.If(test=stmt.test, body=self.lower_block(self.prologue(a) + stmt.body, a),
                              orelse=self.lower_block(self.prologue(b) + stmt.orelse, b))
            elif isinstance(stmt, gast.For):
                (b,) = stmt.blocks
                self.lowerer.typer.avals[stmt.target.id] = P.AVal(np.dtype(np.int64), ())
                self.reverse_counter[b.id] = stmt.target.id
                new = gast.For(target=stmt.target, iter=stmt.iter,
                               body=self.lower_block(self.prologue(b) + stmt.body, b), orelse=[], type_comment=None)
            else:
                new = self.lowerer.statement(stmt)
            new.lineno = getattr(stmt, "lineno", None)
            if hasattr(stmt, "blocks"):
                new.blocks = stmt.blocks
            out.append(new)
        block.lowered = out
        return out

    # -- restoring elements that writes overwrote ------------------------------------
    def value_reads(self, stmts, found):
        """Names whose contents the backward reads (not just their shape)."""
        def visit(node):
            if isinstance(node, gast.Attribute) and node.attr == "shape":
                return
            if isinstance(node, gast.Call) and getattr(node.func, "id", None) == "zeros_like":
                return
            if isinstance(node, gast.Name):
                found.add(node.id)
            for child in gast.iter_child_nodes(node):
                visit(child)
        for stmt in stmts:
            if hasattr(stmt, "restore"):
                continue
            if isinstance(stmt, (gast.If, gast.For)):
                visit(stmt.test if isinstance(stmt, gast.If) else stmt.iter)
                self.value_reads(stmt.body + stmt.orelse, found)
            elif isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Subscript):
                visit(stmt.value)
                visit(stmt.targets[0].slice)
            else:
                visit(stmt.value if not isinstance(stmt, gast.AugAssign) else stmt.value)

    def add_viewed_arrays(self, arrays_read):
        """Reading a slice of y (a view) reads y's memory: y's writes must be undone too."""
        views = []
        for block in self.rev.blocks:
            for stmt in block.stmts:
                if isinstance(stmt, gast.Assign) and isinstance(stmt.value, gast.Call) \
                        and stmt.value.func.id == "getitem" and not self.is_scalar(targets_of(stmt)[0]):
                    views.append((targets_of(stmt)[0], stmt.value.args[0].id))
        changed = True
        while changed:
            changed = False
            for view, base in views:
                if view in arrays_read and base not in arrays_read:
                    arrays_read.add(base)
                    changed = True

    def place_restores(self, stmts, arrays_read):
        """Each write whose array the backward reads gets its old element back from a
        tape right after the write's own reverse; other markers disappear."""
        out = []
        for stmt in stmts:
            if hasattr(stmt, "restore"):
                write = stmt.restore
                array, _, index = write.value.args
                if array.id in arrays_read:
                    tape = f"tape_{array.id}_w{len(self.restores)}"
                    element = self.lowerer.typer.type_expr(N.call("getitem", array, index))
                    scalar = isinstance(element, P.AVal) and element.ndim == 0
                    self.restores.append((write, tape, scalar))
                    index = index.elts[0] if len(index.elts) == 1 else index
                    target = gast.Subscript(value=N.name(array.id), slice=index, ctx=gast.Store())
                    out += self.pop_value(tape, target, scalar)
                continue
            if isinstance(stmt, (gast.If, gast.For)):
                self.place_restores(stmt.body, arrays_read)
                self.place_restores(stmt.orelse, arrays_read)
            out.append(stmt)
        stmts[:] = out        # in place: blocks keep referring to these lists
        return stmts

    # -- where the backward's forward values come from -----------------------------
    def source_of(self, name, block):
        rev = self.rev
        for x in block.ancestors():
            if name in rev.carried.get(x.id, ()) or name in rev.snapshot.get(x.id, ()):
                return x, "start"
            if rev.home.get(name) is x:
                return x, "end"
        return rev.top, "end"

    def collect_reads(self, stmts, block, residuals, extra=()):
        """Resolve every forward name read in this reverse block; recurse into nested ones."""
        reads = []
        for stmt in stmts:
            if isinstance(stmt, (gast.If, gast.For)):
                reads += sorted(names_in(stmt.test if isinstance(stmt, gast.If) else stmt.iter))
                for b, body in zip(stmt.blocks, (stmt.body, stmt.orelse)):
                    self.collect_reads(body, b, residuals)
            else:
                reads += sorted(names_in(stmt.value) | (names_in(stmt.targets[0]) if isinstance(stmt, gast.Assign)
                                                         and isinstance(stmt.targets[0], gast.Subscript) else set()))
                if isinstance(stmt, gast.AugAssign):
                    reads += sorted(names_in(stmt.target))
        for g in extra:
            reads += sorted(names_in(g))
        for name in reads:
            self.resolve_read(name, block, residuals)

    def resolve_read(self, name, block, residuals):
        """A residual at top level; inside a block, recomputed from values the backward
        already has when that is cheap (see `recipe`), else popped from a tape. Both go
        at the start of the reverse of the block that owns the value."""
        if name not in self.rev.forward_names:
            return
        owner, kind = self.source_of(name, block)
        if owner is self.rev.top:
            residuals.add(name)
            return
        if owner.checkpoint and kind == "end":
            return          # computed again by the segment's recomputation
        key = (name, owner.id, kind)
        if key in self.tapes or key in self.recomputed:
            return
        pops, recomputes = self.preludes.setdefault(owner.id, (owner, [], []))[1:]
        recipe = self.recipe(name, owner) if kind == "end" else None
        if recipe is None:
            self.tapes[key] = tape = f"tape_{name}" + ("_start" if kind == "start" else "")
            pops += self.pop(name, tape)
            return
        stmt, context = recipe
        self.recomputed.add(key)
        for read in sorted(names_in(stmt.value)):      # operands first: recomputes stay in dependency order
            self.resolve_read(read, context, residuals)
        recomputes.append(stmt)

    def place_preludes(self):
        for owner, pops, recomputes in self.preludes.values():
            if owner.checkpoint:       # read the segment's start, recompute it, then restore its start
                pops = self.peeks(owner) + self.recompute(owner) + pops
            owner.lowered[0:0] = pops + recomputes

    # -- checkpointed loops (loops.py): segments recomputed in the backward --------------
    def resolve_segment_reads(self, residuals):
        """A segment's recomputation reads what the segment does not define: its saved
        start (tapes pushed at the segment's start) and values from outside it."""
        rev = self.rev
        for block in rev.blocks:
            if not block.checkpoint or not hasattr(block, "lowered"):
                continue               # no backward for this loop
            self.preludes.setdefault(block.id, (block, [], []))
            for stmt in statements(block.stmts):
                if isinstance(stmt, gast.For):
                    reads = names_in(stmt.iter)
                elif isinstance(stmt, (gast.If, gast.While)):
                    reads = names_in(stmt.test)
                else:
                    reads = set() if is_custom(stmt) else names_in(stmt.value)
                for name in sorted(reads):
                    if name in rev.snapshot[block.id] or (name in rev.forward_names
                                                          and not rev.home.get(name, rev.top).within(block)):
                        self.resolve_read(name, block, residuals)

    def is_local(self, key):
        """Tapes pushed inside a checkpointed segment exist only in the backward."""
        _, bid, kind = key
        block = self.rev.blocks[bid]
        return any(b.checkpoint for b in block.ancestors()) and not (block.checkpoint and kind == "start")

    def peeks(self, block):
        """The segment's saved start, read without popping it."""
        out = []
        for (name, bid, kind), tape in sorted(self.tapes.items()):
            if bid == block.id and kind == "start":
                top = (gast.BinOp(left=N.name(tape + "_n"), op=gast.Sub(), right=N.const(1))
                       if self.is_scalar(name) else N.const(-1))
                out.append(untyped(N.assign(name, N.subscript(N.name(tape), top))))
        return out

    def recompute(self, block):
        """The segment's forward with its tapes, lowered: run again before its reverse."""
        stmts = N.copy_tree(self.instrument_stmts(block))
        lowerer = Lowerer(self.analysis.avals, None, None, self.analysis.avals)
        return lower_block(stmts, lowerer)

    # -- recomputing cheap scalars instead of taping them -------------------------------
    def recipe(self, name, owner):
        """(statement, block to resolve its operands in) recomputing `name` at the start of
        owner's reverse, or None. Only single-assignment scalars qualify: a `for` loop's
        index (from the range and the reverse counter) and cheap arithmetic on values
        that do not change between the forward statement and the block's end."""
        rev = self.rev
        if len(rev.assigned_in.get(name, ())) != 1 or rev.home.get(name) is not owner or not self.is_scalar(name):
            return None
        loop = owner.loop
        if isinstance(loop, gast.For) and loop.target.id == name:
            return self.index_recipe(name, owner)
        for pos, stmt in enumerate(owner.stmts):
            if isinstance(stmt, gast.Assign) and not is_custom(stmt) and targets_of(stmt) == [name]:
                break
        else:
            return None
        value = stmt.value
        if not (isinstance(value, gast.Call) and getattr(value.func, "id", None) in CHEAP):
            return None
        if value.func.id == "getitem" and getattr(value.args[0], "id", None) not in rev.arguments:
            return None          # an array the program creates may be written after the read
        if not all(self.stable(u, owner, pos) for u in names_in(value) if u in rev.forward_names):
            return None
        return self.lowerer.statement(N.copy_tree(stmt)), owner

    def index_recipe(self, name, owner):
        """i = start + (trips - 1 - k) * step, with k the reverse loop's counter."""
        loop, parent = owner.loop, owner.parent
        start, _, step = loop.iter.args
        if not all(self.stable(u, parent, len(parent.stmts)) for u in names_in(start) | names_in(step)
                   if u in self.rev.forward_names) or owner.id not in self.reverse_counter:
            return None
        k = N.name(self.reverse_counter[owner.id])
        back = gast.BinOp(left=gast.BinOp(left=N.name(loop.trips), op=gast.Sub(), right=N.const(1)),
                          op=gast.Sub(), right=k)
        value = gast.BinOp(left=N.copy_tree(start), op=gast.Add(),
                           right=gast.BinOp(left=back, op=gast.Mult(), right=N.copy_tree(step)))
        return untyped(N.assign(name, value)), parent

    def stable(self, name, block, pos):
        """Whether `name` read in `block` before statement `pos` has the value the
        backward sees for it there: assigned once where the block can see it, or
        carried into this loop body and not yet reassigned."""
        rev = self.rev
        if len(rev.assigned_in.get(name, ())) == 1:
            return rev.home.get(name) in list(block.ancestors())
        if name in rev.carried.get(block.id, ()):
            return not any(name in assigned_names(s) for s in block.stmts[:pos])
        return False

    # -- the forward, with tapes and trip counters --------------------------------------
    def instrument(self, top):
        creates = []
        for key, tape in self.tapes.items():
            name = key[0]
            if self.is_local(key):
                self.local_creates += self.create_local(tape, self.dtype_of(name), self.is_scalar(name))
            else:
                creates += self.create(tape, self.dtype_of(name), self.is_scalar(name))
        for write, tape, scalar in self.restores:
            creates += self.create(tape, self.dtype_of(write.value.args[0].id), scalar)
        return creates + self.instrument_block(top)

    def instrument_block(self, block):
        out = []
        if block.loop is not None:
            starts = self.rev.snapshot[block.id] if block.checkpoint else self.rev.carried.get(block.id, ())
            for v in sorted(starts):
                if (v, block.id, "start") in self.tapes:
                    out += self.push(v, block, "start")
        if block.checkpoint:           # runs untaped: the backward recomputes it from its start
            self.plain = True
            try:
                return out + self.instrument_stmts(block)
            finally:
                self.plain = False
        out += self.instrument_stmts(block)
        if getattr(block, "fused_at", None) is None:
            out += getattr(block, "fused", [])          # fused_loops.py: code at the body's end
        for (v, bid, kind) in sorted(self.tapes):
            if bid == block.id and kind == "end":
                out += self.push(v, block, kind)
        return out

    def instrument_stmts(self, block):
        out = []
        for stmt in block.stmts:
            if stmt is getattr(block, "fused_at", None):
                out += block.fused                     # fused_loops.multiply_partials: before the carried copies
            if isinstance(stmt, gast.If):
                a, b = stmt.blocks
                new = gast.If(test=stmt.test, body=self.instrument_block(a), orelse=self.instrument_block(b))
                new.lineno = stmt.lineno
                out.append(new)
            elif isinstance(stmt, (gast.For, gast.While)):
                (b,) = stmt.blocks
                out += getattr(stmt, "fused_init", [])
                out.append(untyped(N.assign(stmt.trips, N.const(0))))
                body = self.instrument_block(b) + [untyped(N.assign(stmt.trips, gast.BinOp(
                    left=N.name(stmt.trips), op=gast.Add(), right=N.const(1))))]
                if isinstance(stmt, gast.For):
                    out += self.reserve(stmt)
                    new = gast.For(target=stmt.target, iter=stmt.iter, body=body, orelse=[], type_comment=None)
                else:
                    new = gast.While(test=stmt.test, body=body, orelse=[])
                new.lineno = stmt.lineno
                out.append(new)
            elif is_custom(stmt):
                continue                       # its construct's statements are already in the forward
            else:
                for write, tape, scalar in self.restores:
                    if write is stmt:            # save the element this write overwrites
                        array, _, index = stmt.value.args
                        index = index.elts[0] if len(index.elts) == 1 else index
                        old = gast.Subscript(value=N.name(array.id), slice=index, ctx=gast.Load())
                        if not scalar:          # a slice is a view: save its values, not the view
                            old = N.call("copy", old)
                        out += self.push_value(tape, old, scalar, block)
                out.append(stmt)
        return out

    # -- tape operations: scalars go on growable arrays, arrays on typed Lists ----------
    def is_scalar(self, name):
        aval = self.analysis.avals.get(name, self.lowerer.typer.avals.get(name))
        return isinstance(aval, P.AVal) and aval.ndim == 0 or isinstance(aval, (int, float, bool))

    def dtype_of(self, name):
        aval = self.analysis.avals.get(name, self.lowerer.typer.avals.get(name))
        return P.dtype_of(aval) if isinstance(aval, P.AVal) else np.result_type(aval)

    def create(self, tape, dtype, scalar):
        """Array tapes are new typed Lists; a scalar tape's buffer is an argument of the
        forward (the caller keeps it between calls, so its pages are reused)."""
        if not scalar:
            return [untyped(N.assign(tape, N.call("List")))]
        self.workspace.append((tape, np.dtype(dtype)))
        return [untyped(N.assign(tape + "_n", N.const(0)))]

    @staticmethod
    def create_local(tape, dtype, scalar):
        if not scalar:
            return [untyped(N.assign(tape, N.call("List")))]
        return [untyped(N.assign(tape, N.call("tape_new", static_node(np.dtype(dtype))))),
                untyped(N.assign(tape + "_n", N.const(0)))]

    def push_value(self, tape, value, scalar, block):
        """Push statements. A scalar tape pushed inside a `for` loop has room reserved
        at the loop's entry, so its push is a plain store; inside a `while` it grows."""
        if self.plain:
            return []
        if not scalar:
            return [untyped(gast.Expr(value=gast.Call(func=N.attribute(N.name(tape), "append"), args=[value],
                                                      keywords=[])))]
        n = tape + "_n"
        loop = self.enclosing_loop(block)
        if loop is not None and isinstance(loop.loop, gast.While):
            return [untyped(N.assign([tape, n], N.call("tape_push", N.name(tape), N.name(n), value)))]
        if loop is not None:
            self.reserved.setdefault(loop.id, []).append(tape)
        return [untyped(N.assign(gast.Subscript(value=N.name(tape), slice=N.name(n), ctx=gast.Store()), value)),
                untyped(N.assign(n, gast.BinOp(left=N.name(n), op=gast.Add(), right=N.const(1))))]

    @staticmethod
    def enclosing_loop(block):
        return next((b for b in block.ancestors() if b.loop is not None), None)

    def reserve(self, loop_stmt):
        """Before a `for` loop: room on every scalar tape its body pushes, once per entry."""
        body = loop_stmt.blocks[0]
        tapes = sorted(set(self.reserved.get(body.id, ())))
        if not tapes or self.plain:
            return []
        trips = N.call("trip_count", *loop_stmt.iter.args)      # resolve writes range(start, stop, step)
        out = [untyped(N.assign(f"n_reserve{body.id}", trips))]
        for tape in tapes:
            out.append(untyped(N.assign(tape, N.call("tape_reserve", N.name(tape), N.name(tape + "_n"),
                                                      N.name(f"n_reserve{body.id}")))))
        return out

    def pop_value(self, tape, target, scalar):
        if not scalar:
            return [untyped(N.assign(target, gast.Call(func=N.attribute(N.name(tape), "pop"), args=[],
                                                         keywords=[])))]
        n = tape + "_n"
        return [untyped(N.assign(n, gast.BinOp(left=N.name(n), op=gast.Sub(), right=N.const(1)))),
                untyped(N.assign(target, N.subscript(N.name(tape), N.name(n))))]

    def pop(self, name, tape):
        return self.pop_value(tape, N.name(name, store=True), self.is_scalar(name))

    def push(self, name, block, kind):
        return self.push_value(self.tapes[(name, block.id, kind)], N.name(name), self.is_scalar(name), block)


# Scalar primitives cheaper to recompute in the backward than to tape.
CHEAP = {"add", "sub", "mul", "div", "neg", "square", "pow", "abs", "cast", "getitem", "maximum", "minimum",
         "sqrt", "equal", "not_equal", "less", "less_equal", "greater", "greater_equal"}


def assigned_names(stmt):
    """Every name a statement (with nested blocks) assigns."""
    return {t.id for node in N.walk(stmt) for t in getattr(node, "targets", [getattr(node, "target", None)])
            if isinstance(t, gast.Name)}
