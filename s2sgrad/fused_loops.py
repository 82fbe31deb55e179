"""Loop backward work done in the forward, while the iteration's values are at hand.

1. fuse_loops: a loop whose backward is one seed times a fixed sum runs its adjoint
   statements in the forward, and the backward keeps one statement per sink.
2. multiply_partials: a scalar loop body (branches allowed) that carries one or two scalar
   adjoints computes its local partial derivatives in the forward, multiplying them into
   the whole loop's as it goes; the loop's backward is then one statement per adjoint (see
   below).

fuse_loops

The backward of a loop like an energy summed over pairs (`e += f(x[i], x[j])`) carries
nothing from one iteration to the next: each iteration reads the same adjoint (d_e, the
seed) and only adds into adjoints of values from outside the loop (d_x, the sinks).
Adjoints are linear, so the whole loop adds d_e * P into d_x, where P is what the same
statements add with d_e = 1. The forward computes P while it has each iteration's
values at hand (`part_d_x`, a residual); the backward keeps one statement per sink,
`d_x += d_e * part_d_x`, instead of running the loop again and recomputing the values.

`fuse_loops` proves this on the lowered backward of each top-level `for` loop by
abstract interpretation: every adjoint holds its seed, a typed zero, or a value
computed in the current iteration ("local"). The loop qualifies when
- one scalar float seed is read (copies of it count as the seed);
- every adjoint live at a loop head (read before it is assigned in the body) holds the
  same seed or zero on every iteration;
- sinks are only added into (`d[i] += e`, `d = d + e`), never read;
- a nested loop's statements (in the forward they run inside that loop, before the
  enclosing body's adjoint statements; in the backward, after them) share no local
  adjoint with the enclosing body or a sibling loop;
- the loop writes no array element and holds no custom-bprop cell or checkpointed loop;
- every forward value the statements read is assigned once, or is the index of a loop
  around them (it holds, at the end of its body, the value the backward would read).
A body's statements go at the end of its forward, in the backward's order; a branch's
stay a branch there (its test is a forward value). Reads of the seed and of zeros
become typed constants (1 and 0); copies of them vanish.
Sums are reassociated (the forward adds in forward order), so rounding may differ from
the unfused backward in the last bits.
"""
import gast
import numpy as np

from . import nodes as N
from . import primitives as P
from .chains import (Names, accumulation, assigned, carried_state, fold_zero_inits, mentions, names_around, rename,
                     scalar_dtype, zero_of)
from .nodes import untyped
from .normalize import is_custom, statements, targets_of

SEED, ZERO, LOCAL, MIXED = "seed", "zero", "local", "mixed"


class Refused(Exception):
    pass


def fuse_loops(rev, backward, adjoints, avals):
    """Fuse every qualifying top-level loop; returns the part names (new residuals).
    backward: the lowered top-level backward (changed in place); rev: the Reverser."""
    parts, names = [], Names(backward, rev.forward_names)
    for pos in range(len(backward) - 1, -1, -1):
        stmt = backward[pos]
        if not (isinstance(stmt, gast.For) and hasattr(stmt, "blocks")):
            continue
        (block,) = stmt.blocks
        if block.parent is not rev.top or not isinstance(block.loop, gast.For) or block.checkpoint:
            continue
        fuser = Fuser(rev, adjoints, avals)
        try:
            fuser.check_forward(block)
            state = {}
            fuser.run_loop(stmt.body, block, state)
            updates, new_parts = fuser.finish(block, state, backward[pos + 1:], names)
        except Refused:
            continue
        backward[pos:pos + 1] = updates
        parts += new_parts
    return parts


class Fuser:
    def __init__(self, rev, adjoints, avals):
        self.rev, self.adjoints, self.avals = rev, adjoints, avals
        self.code = {}           # forward block id -> adjoint statements appended to it
        self.seeds = set()
        self.sinks = set()       # adjoints from outside the loop, only added into
        self.blocks = []         # blocks interpreted, in order

    # -- the forward: what may not move ------------------------------------------------
    def check_forward(self, block):
        for b in self.rev.blocks:
            if b.within(block):
                if b.checkpoint:
                    raise Refused
                for s in b.stmts:
                    if isinstance(s, gast.Expr) or is_custom(s):
                        raise Refused        # an element write (the backward restores it) or a custom bprop

    # -- abstract interpretation of the backward -------------------------------------------
    def value(self, state, name):
        return state.get(name, (SEED, name))

    def run_loop(self, body, block, state):
        """Interpret a loop body's backward; its code goes at the end of the body's forward."""
        entry = dict(state)
        self.blocks.append(block)
        code = self.code.setdefault(block.id, [])
        groups = []                              # (written, mentioned) of each nested loop's code
        self.run_block(body, state, code, groups)
        written, mentioned = self.locals_of(code)
        for i, (w, m) in enumerate(groups):
            if w & mentioned or m & written or any(w & m2 or m & w2 for w2, m2 in groups[i + 1:]):
                raise Refused                    # nested loops' code runs first in the forward, last in the backward
        for name in set(state) | set(entry):
            if self.value(state, name) != self.value(entry, name):
                if live_at_head(body, name):
                    raise Refused                # an adjoint carried from one iteration to the next
                state[name] = (MIXED,)           # after zero trips it still holds its entry value

    def run_block(self, stmts, state, code, groups):
        """Interpret backward statements in order, appending the forward's code to `code`.
        A branch's code stays a branch (its test is a forward value, there at the body's end)."""
        for stmt in stmts:
            if getattr(stmt, "untyped", False) or hasattr(stmt, "restore"):
                raise Refused
            if isinstance(stmt, gast.For) and hasattr(stmt, "blocks"):
                before = len(self.blocks)
                self.run_loop(stmt.body, stmt.blocks[0], state)
                groups.append(self.locals_of([s for b in self.blocks[before:] for s in self.code[b.id]]))
            elif isinstance(stmt, gast.If) and hasattr(stmt, "blocks"):
                left, right, then, orelse = dict(state), dict(state), [], []
                self.run_block(stmt.body, left, then, groups)
                self.run_block(stmt.orelse, right, orelse, groups)
                for name in set(left) | set(right):
                    lv, rv = self.value(left, name), self.value(right, name)
                    state[name] = lv if lv == rv else (MIXED,)
                if then or orelse:
                    branch = gast.If(test=N.clone(stmt.test), body=then or [untyped(gast.Pass())], orelse=orelse)
                    branch.lineno = getattr(stmt, "lineno", None)
                    code.append(untyped(branch))
            else:
                self.simple(stmt, state, code)

    def locals_of(self, stmts):
        """(written, mentioned) local adjoints of forward code (sinks are shared: adds commute)."""
        written, mentioned = set(), set()
        for s in stmts:
            for n in N.walk(s):
                if isinstance(n, gast.Name) and n.id in self.adjoints and n.id not in self.sinks:
                    mentioned.add(n.id)
                    if isinstance(n.ctx, gast.Store):
                        written.add(n.id)
        return written, mentioned

    def simple(self, stmt, state, code):
        """One adjoint statement: track its value; emit it (with constants for the seed and
        zeros) unless it only copies one."""
        if isinstance(stmt, gast.AugAssign) and isinstance(stmt.op, gast.Add):
            target = stmt.target
            sink = target.value if isinstance(target, gast.Subscript) else target
            if not (isinstance(sink, gast.Name) and sink.id in self.adjoints) or sink.id in state:
                raise Refused
            self.add_sink(sink.id)
            code.append(self.emit(stmt, state))
            return
        if not (isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], gast.Name)
                and stmt.targets[0].id in self.adjoints):
            raise Refused                        # an element overwrite, or a statement of another kind
        name, value = stmt.targets[0].id, stmt.value
        if name in self.sinks:
            raise Refused
        if accumulation(stmt, name) is not None and name not in state and name not in self.seeds:
            self.add_sink(name)                  # d = d + e into an adjoint from outside the loop
            code.append(self.emit(stmt, state))
            return
        v = self.constant(value, state)
        if v is not None:
            state[name] = v                      # the seed or a zero: reads of name become the constant
            return
        code.append(self.emit(stmt, state))
        state[name] = (LOCAL,)

    def constant(self, node, state):
        """(SEED, s) or (ZERO, dtype) when node is a copy of one, or a sum of one and zeros."""
        if isinstance(node, gast.Name) and node.id in self.adjoints and node.id not in self.sinks:
            v = self.value(state, node.id)
            return v if v[0] in (SEED, ZERO) else None
        dtype = zero_of(node)
        if dtype is not None:
            return ZERO, dtype
        if isinstance(node, gast.BinOp) and isinstance(node.op, gast.Add):
            left, right = self.constant(node.left, state), self.constant(node.right, state)
            if left is not None and right is not None:
                if left[0] == ZERO and (right[0] == SEED or right == left):
                    return right
                if right[0] == ZERO and left[0] == SEED:
                    return left
        return None

    def add_sink(self, name):
        if name in self.seeds:
            raise Refused
        self.sinks.add(name)

    def emit(self, stmt, state):
        """A copy of stmt whose reads of the seed and zeros are typed constants."""
        fuser = self

        class Constants(gast.NodeTransformer):
            def visit_Name(self, node):
                if not isinstance(node.ctx, gast.Load):
                    return node
                if node.id in fuser.adjoints:
                    v = fuser.value(state, node.id)
                    if node.id in fuser.sinks or v[0] == MIXED or v[0] == SEED and v[1] in fuser.sinks:
                        raise Refused            # a sink is only added into; a mixed value has no variable
                    if v[0] == SEED:
                        fuser.seeds.add(v[1])
                        return P.dtype_cast(N.const(1.0), fuser.seed_dtype(v[1]))
                    if v[0] == ZERO:
                        return P.dtype_cast(N.const(0), v[1])
                return node

            def visit_Call(self, node):            # a kernel's name is not a value
                if not isinstance(node.func, gast.Name):
                    node.func = self.visit(node.func)
                node.args = [self.visit(a) for a in node.args]
                node.keywords = [self.visit(k) for k in node.keywords]
                return node
        new = N.clone(stmt)
        if isinstance(new, gast.Assign) and isinstance(new.value, gast.BinOp) and isinstance(new.value.left, gast.Name) \
                and new.value.left.id in self.sinks and new.value.left.id == new.targets[0].id:
            new.value.right = Constants().visit(new.value.right)     # d = d + e: the one read of a sink
        elif isinstance(new, gast.AugAssign):
            new.value = Constants().visit(new.value)
            if isinstance(new.target, gast.Subscript):
                new.target.slice = Constants().visit(new.target.slice)
        else:
            new.value = Constants().visit(new.value)
        new.untyped = True
        new.lineno = getattr(stmt, "lineno", None)
        return new

    def stable(self, name, block):
        """Whether `name` holds, at the end of block's forward, the value block's backward
        reads: it is assigned once, or it is the index of a loop around block (the same
        index name may serve several loops)."""
        homes = self.rev.assigned_in.get(name, ())
        return len(homes) == 1 or loop_index(name, homes, block)

    def seed_dtype(self, name):
        dtype = scalar_dtype(name, self.avals)
        if dtype is None:
            raise Refused                        # an array seed would need one run per element
        return dtype

    # -- the rewrite ----------------------------------------------------------------------
    def finish(self, block, state, after, names):
        """The backward statements replacing the loop, and the part names; appends the
        fused statements to the forward blocks and the parts' zeros before the loop."""
        rev = self.rev
        if len(self.seeds) != 1 or not self.sinks:
            raise Refused
        (seed,) = self.seeds
        dtype = self.seed_dtype(seed)
        for b in self.blocks:
            for s in self.code[b.id]:
                for n in N.walk(s):
                    if isinstance(n, gast.Name) and n.id in rev.forward_names and not self.stable(n.id, b):
                        raise Refused            # a loop-carried value: at the block's end it may have changed
        later = {n.id for s in after for n in N.walk(s) if isinstance(n, gast.Name)}
        if any(v != (SEED, name) and name in later for name, v in state.items()):
            raise Refused                        # an adjoint the loop changed, which the rest of the backward reads
        inits, updates, parts, mapping = [], [], [], {}
        for sink in sorted(self.sinks):
            var = sink[2:] if sink.startswith("d_") else None
            aval = self.avals.get(var)
            home = rev.home.get(var)
            if var not in rev.forward_names or home is not rev.top or len(rev.assigned_in.get(var, ())) != 1 \
                    or not isinstance(aval, P.AVal) or aval.dtype.name != dtype:
                raise Refused
            if var not in rev.arguments and not defined_before(rev.top.stmts, var, block.loop):
                raise Refused
            part = names.fresh(f"part_{sink}")
            mapping[sink] = part
            parts.append(part)
            self.avals[part] = aval
            zero = P.dtype_cast(N.const(0), dtype) if aval.ndim == 0 else N.call("zeros_like", N.name(var))
            inits.append(untyped(N.assign(part, zero)))
            scaled = gast.BinOp(left=N.name(seed), op=gast.Mult(), right=N.name(part))
            if aval.ndim == 0:
                updates.append(N.assign(sink, gast.BinOp(left=N.name(sink), op=gast.Add(), right=scaled)))
            else:
                updates.append(gast.AugAssign(target=N.name(sink, store=True), op=gast.Add(), value=scaled))
        for b in self.blocks:
            b.fused = [rename(s, mapping) for s in self.code[b.id]]
        block.loop.fused_init = inits
        for u in updates:
            u.lineno = getattr(block.loop, "lineno", None)
        return updates, parts


# -- helpers ---------------------------------------------------------------------------------
def live_at_head(stmts, name):
    """Whether statements may read `name` before assigning it (a nested block's
    assignment may not run, so it kills nothing)."""
    for stmt in stmts:
        if isinstance(stmt, gast.For):
            if live_at_head(stmt.body, name):
                return True
        elif isinstance(stmt, gast.If):
            if live_at_head(stmt.body, name) or live_at_head(stmt.orelse, name):
                return True
        else:
            target = stmt.targets[0] if isinstance(stmt, gast.Assign) else getattr(stmt, "target", None)
            if mentions(stmt.value, name) or isinstance(target, gast.Subscript) and mentions(target, name) \
                    or isinstance(stmt, gast.AugAssign) and isinstance(target, gast.Name) and target.id == name:
                return True
            if isinstance(target, gast.Name) and target.id == name:
                return False
    return False


def defined_before(stmts, var, loop):
    for s in stmts:
        if s is loop:
            return False
        if not isinstance(s, (gast.If, gast.For, gast.While)) and var in targets_of(s):
            return True
    return False


# -- 2. the whole loop's partial derivatives, multiplied up by the forward -------------------
def multiply_partials(rev, backward, adjoints, avals):
    """A backward loop whose body chains.carried_state accepts with k <= 2 states s
    (scalar, linear, adding into sinks t; `if`s on forward values allowed) is one linear map
    of the carried adjoints per iteration, so the whole loop's backward is the product of
    those maps. Per iteration the forward computes, for each unit seed m, s's new value
    (`s_m`) and the sinks' increments (`part_t_m`), running the backward's branches under
    its own tests, and multiplies them into the whole loop's partials as it goes
    (`whole_loop`); its extra arithmetic hides in the latency of its own loop-carried chain.
    The backward loop becomes one statement per adjoint: no tape, no second pass, no
    forward value read (W3: 1.11x its primal, where taping these partials per step took
    1.36x; k = 3 measured slower than taping, three competing species). The partials are
    forward names of the block around the loop: a residual for a top-level loop, a value
    taped once per iteration of an enclosing loop (its end value, as any name that block
    assigns). A checkpointed loop is left alone."""
    names = Names(backward, rev.forward_names)
    for loop, home in loops_in(backward):
        (block,) = loop.blocks
        if any(b.checkpoint for b in block.ancestors()):
            continue
        body = loop.body
        if any(getattr(s, "untyped", False) or hasattr(s, "restore") or not isinstance(s, (gast.Assign, gast.If))
               or isinstance(s, gast.Assign) and not isinstance(s.targets[0], gast.Name) for s in statements(body)):
            continue
        found = carried_state(body, adjoints, branches=True)
        if found is None:
            continue
        states, sinks = found
        dtypes = {scalar_dtype(v, avals) for v in [*states, *sinks]}
        if len(dtypes) != 1 or None in dtypes:
            continue
        (dtype,) = dtypes
        local = assigned(body) & adjoints
        if (local - set(states) - set(sinks)) & names_around(backward, loop):
            continue                                 # a body-local adjoint read after the loop
        at = emission_point(block)
        if not reads_available(rev, block, body, adjoints, at):
            continue
        forward_code, outputs = unit_seed_runs(body, states, sinks, dtype, names, avals)
        whole, inits, products = whole_loop(states, sinks, outputs, dtype, names, avals)
        for name in [o for row in whole.values() for o in row]:
            rev.define(name, block.parent)           # the inits, before the loop
            rev.define(name, block)                  # the products, in it
            rev.home[name] = block.parent
            rev.carried.setdefault(block.id, set()).add(name)
        block.fused = forward_code + products
        block.fused_at = block.stmts[at] if at < len(block.stmts) else None
        block.loop.fused_init = inits
        updates = combination(states, sinks, whole, names)
        for u in updates:
            u.lineno = getattr(loop, "lineno", None)
        at_loop = next(i for i, s in enumerate(home) if s is loop)
        home[at_loop:at_loop + 1] = updates          # in place: the enclosing block's lowered list


def loops_in(stmts):
    """(loop, the list holding it) for every backward loop among stmts, outer loops first."""
    for s in list(stmts):
        if isinstance(s, gast.For):
            if hasattr(s, "blocks"):
                yield s, stmts
            yield from loops_in(s.body)
        elif isinstance(s, gast.If):
            yield from loops_in(s.body)
            yield from loops_in(s.orelse)


def emission_point(block):
    """Index of the first of the body's trailing loop-carried copies (`x = x_1`): the
    partials go just before them, where carried names still hold this iteration's start."""
    at = len(block.stmts)
    while at > 0 and getattr(block.stmts[at - 1], "merge", False):
        at -= 1
    return at


def reads_available(rev, block, body, adjoints, at):
    """Whether every forward name the body reads has, at the emission point, the value the
    backward reads: assigned once and before it, or carried by this loop (its start value,
    read by the backward too) and reassigned only by the trailing copies. A name one branch
    assigns is read under that branch's test in the backward, and so in the copy of it at
    the emission point (the test is a forward value assigned before the branch)."""
    if any(isinstance(s, (gast.For, gast.While, gast.Expr)) for s in statements(block.stmts)):
        return False
    trailing = {t for s in block.stmts[at:] for t in targets_of(s)}
    before = {t for s in statements(block.stmts[:at]) if not isinstance(s, gast.If) for t in targets_of(s)}
    for s in statements(body):
        for n in N.walk(s.test if isinstance(s, gast.If) else s.value):
            if not isinstance(n, gast.Name) or n.id in adjoints or n.id not in rev.forward_names:
                continue
            homes = rev.assigned_in.get(n.id, ())
            if n.id in rev.carried.get(block.id, ()):
                if n.id in before:
                    return False
            elif n.id in trailing or len(homes) != 1 and not loop_index(n.id, homes, block):
                return False
    return True


def loop_index(name, homes, block):
    """Whether `name` is the index of a loop around block (several loops may share it)."""
    return all(isinstance(h.loop, gast.For) and h.loop.target.id == name for h in homes) \
        and any(h is b for b in block.ancestors() for h in homes)


def unit_seed_runs(body, states, sinks, dtype, names, avals):
    """The body's adjoint statements once per unit seed, renamed per run; returns the code
    and {"s_i" or sink: [its value after run m, for each m]}."""
    made = set()

    def fresh(base, like):
        name = names.fresh(base)
        made.add(name)
        avals[name] = avals.get(like)
        return name
    targets = (s.targets[0].id for s in statements(body) if isinstance(s, gast.Assign))
    local = [v for v in dict.fromkeys(targets) if v not in sinks and v not in states]
    code, outputs = [], {v: [] for v in [*states, *sinks]}
    for m in range(len(states)):
        rename_m = {v: fresh(f"{v}_{m}", v) for v in [*states, *local]}
        rename_m.update({t: fresh(f"part_{t}_{m}", t) for t in sinks})
        code += [N.assign(rename_m[s], P.dtype_cast(N.const(1.0 if j == m else 0), dtype))
                 for j, s in enumerate(states)]
        code += [N.assign(rename_m[t], P.dtype_cast(N.const(0), dtype)) for t in sinks]
        for s in body:
            code.append(rename(N.clone(s), rename_m))
        for v in outputs:
            outputs[v].append(rename_m[v])
    code = fold_zero_inits(code, made, avals)
    for s in statements(code):
        untyped(s)                       # a branch's statements too: the forward's lowering skips them
    return code, outputs


def whole_loop(states, sinks, outputs, dtype, names, avals):
    """The whole loop's partials, multiplied up in the forward. Per iteration the backward
    maps the carried values c to A c (A[j][m]: state j's value after unit-seed run m) and
    adds B[t] c into sink t, running from the last iteration to the first; so over the loop
    the states become (A_1 ... A_T) c and sink t gains (sum_i B_i A_i+1 ... A_T) c. The
    forward keeps L = A_1 ... A_i and R[t] = sum B_j A_j+1 ... A_i, updating them as
    L <- L A and R[t] <- R[t] A + B[t] (from L = I, R = 0). Returns ({"s_j" or sink: its
    row's names}, their initial values, the updates run after each iteration's partials)."""
    k = len(states)

    def fresh(base):
        name = names.fresh(base)
        avals[name] = P.AVal(np.dtype(dtype), ())
        return name
    whole = {v: [fresh(f"loop_{v}" if k == 1 else f"loop_{v}_{m}") for m in range(k)] for v in [*states, *sinks]}
    inits = [untyped(N.assign(whole[s][m], P.dtype_cast(N.const(1.0 if j == m else 0), dtype)))
             for j, s in enumerate(states) for m in range(k)]
    inits += [untyped(N.assign(whole[t][m], P.dtype_cast(N.const(0), dtype))) for t in sinks for m in range(k)]
    a = [outputs[s] for s in states]                   # a[i][m]
    products = []
    for v in [*states, *sinks]:
        row = whole[v]
        dots = [_dot((row[i], a[i][m]) for i in range(k)) for m in range(k)]
        new = dots if v in states else [gast.BinOp(left=d, op=gast.Add(), right=N.name(outputs[v][m]))
                                        for m, d in enumerate(dots)]
        if k == 1:
            products.append(untyped(N.assign(row[0], new[0])))
            continue
        temps = [fresh(f"{name}_new") for name in row]     # a row's entries read each other
        products += [untyped(N.assign(tmp, value)) for tmp, value in zip(temps, new)]
        products += [untyped(N.assign(name, N.name(tmp))) for name, tmp in zip(row, temps)]
    return whole, inits, products


def combination(states, sinks, outputs, names):
    """The backward of the whole loop: the carried values c (copied first, as the states are
    reassigned), each sink t += sum_m c_m * outputs[t][m], each state s = sum_m c_m * outputs[s][m]."""
    carries = [names.fresh(f"carry_{s}") for s in states]
    out = [N.assign(c, N.name(s)) for c, s in zip(carries, states)]
    out += [N.assign(t, gast.BinOp(left=N.name(t), op=gast.Add(), right=_dot(zip(carries, outputs[t]))))
            for t in sinks]
    out += [N.assign(s, _dot(zip(carries, outputs[s]))) for s in states]
    return out


def _dot(pairs):
    """a_1 * b_1 + a_2 * b_2 + ... over (a, b) pairs of names, added left to right."""
    total = None
    for a, b in pairs:
        term = gast.BinOp(left=N.name(a), op=gast.Mult(), right=N.name(b))
        total = term if total is None else gast.BinOp(left=total, op=gast.Add(), right=term)
    return total
