"""Random differentiable programs for tests/test_random_programs.py.

A hypothesis strategy, `programs()`, draws input arrays and a small NumPy
program `def f(x0, ...)` over them: straight-line arithmetic, `if` on runtime
scalars, `for i in range(...)` loops with loop-carried scalars and arrays,
element reads `x[i]` / `x[i, j]` and writes into arrays made with `np.zeros`,
`np.ones`, `np.zeros_like` or `.copy()`, and nested loops.

Every program is valid Python that s2sgrad's documented subset accepts, and is
smooth around its inputs:

* denominators are `1.0 + e * e` or `2.0 + np.cos(e)`, `np.exp` only sees
  bounded arguments, loop-carried values grow by bounded steps;
* every branch on a runtime value, `if e > c:`, gets its threshold `c` after the
  program is written: the program runs once with instrumented conditions, and
  `c` is put at least `MARGIN` away from every value `e` takes, so central finite
  differences never cross a branch. A threshold either lies beyond all the values
  (the branch goes one way on every visit) or, when a loop visits the condition
  with values far enough apart, between them (it goes both ways); the second kind
  is checked by a further run and dropped if any value comes too close.

`Program.source` is the module text; `Program.inputs` the float64 arrays.
"""
import math
import re
from dataclasses import dataclass, field

import numpy as np
from hypothesis import assume, strategies as st

MARGIN = 0.5          # threshold beyond all values of a one-way branch
GAP_MARGIN = 0.1      # least distance of a value from a two-way branch's threshold
MAX_ABS_OUTPUT = 1e3  # larger outputs make finite differences imprecise: such draws are rejected

BASE_SHAPES = [(3,), (4,), (2,), (2, 3), (3, 2)]
CONSTANTS = ["0.5", "1.5", "2.0", "0.25", "3.0", "-1.0", "-0.5"]
CLASSES = ["straight", "branch", "loop", "nested", "mixed"]


# -- statements ----------------------------------------------------------------

@dataclass
class Assign:
    target: str
    expr: str
    op: str = "="            # "=", "+=", "-="

    def render(self, mode, thresholds, ind):
        if self.op != "=" and "[" not in self.target:
            # a whole variable: `v = v + e`, not `v += e`. NumPy's `+=` updates v's array in
            # place, which every other name or view of that array sees; s2sgrad gives `+=`
            # value semantics and refuses an update of a shared array (s2sgrad/inplace.py).
            return [f"{ind}{self.target} = {self.target} {self.op[0]} ({self.expr})"]
        return [f"{ind}{self.target} {self.op} {self.expr}"]


@dataclass
class ValueCond:
    """`expr > c` / `expr < c` with c chosen after a run."""
    k: int
    expr: str
    op: str                  # ">" or "<"

    def render(self, mode, thresholds):
        if mode == "probe":
            return f"_cond({self.k}, {self.expr})"
        c = thresholds[self.k]
        if mode == "check":
            return f"_check({self.k}, {self.expr}, {c!r}, {self.op!r})"
        return f"{self.expr} {self.op} {c!r}"


@dataclass
class IndexCond:
    text: str                # on a loop index: never near a finite-difference step

    def render(self, mode, thresholds):
        return self.text


@dataclass
class If:
    cond: object
    body: list
    orelse: list

    def render(self, mode, thresholds, ind):
        lines = [f"{ind}if {self.cond.render(mode, thresholds)}:"]
        lines += render_block(self.body, mode, thresholds, ind + "    ")
        if self.orelse:
            if len(self.orelse) == 1 and isinstance(self.orelse[0], If):
                inner = self.orelse[0].render(mode, thresholds, ind)
                lines.append(f"{ind}el{inner[0].lstrip()}")
                lines += inner[1:]
            else:
                lines.append(f"{ind}else:")
                lines += render_block(self.orelse, mode, thresholds, ind + "    ")
        return lines


@dataclass
class For:
    index: str
    range_text: str
    body: list

    def render(self, mode, thresholds, ind):
        return [f"{ind}for {self.index} in {self.range_text}:"] + render_block(self.body, mode, thresholds,
                                                                                ind + "    ")


def render_block(stmts, mode, thresholds, ind):
    lines = []
    for s in stmts:
        lines += s.render(mode, thresholds, ind)
    return lines or [f"{ind}pass"]


# -- scopes --------------------------------------------------------------------

@dataclass
class Scope:
    vars: dict               # name -> shape (() for scalars); every one holds a runtime value
    consts: dict             # name -> shape: variables holding a Python constant so far
    buffers: set             # arrays created here that element writes may go to
    indices: list            # [(name, stop)] of enclosing runtime loops, outermost first
    loop_depth: int = 0
    if_depth: int = 0

    def child(self, loop_index=None):
        s = Scope(dict(self.vars), dict(self.consts), set(self.buffers), list(self.indices),
                  self.loop_depth, self.if_depth)
        if loop_index is not None:
            s.indices.append(loop_index)
            s.loop_depth += 1
        return s


@dataclass
class Program:
    source: str
    inputs: list
    kind: str
    shapes: list = field(default_factory=list)

    def __repr__(self):
        arrays = ", ".join(f"np.array({a.tolist()!r})" for a in self.inputs)
        return f"Program(kind={self.kind!r}, inputs=[{arrays}], source=\n{self.source})"


def paren(text):
    return text if text.isidentifier() else f"({text})"


class Gen:
    def __init__(self, draw, kind, input_shapes):
        self.draw = draw
        self.kind = kind
        self.counter = 0
        self.n_conds = 0
        self.inputs = [f"x{i}" for i in range(len(input_shapes))]
        self.input_shapes = dict(zip(self.inputs, input_shapes))
        self.base = input_shapes[0]

    # -- helpers -------------------------------------------------------------
    def choice(self, options):
        return self.draw(st.sampled_from(options))

    def coin(self, p=0.5):
        return self.draw(st.floats(0, 1)) < p

    def fresh(self, prefix):
        self.counter += 1
        return f"{prefix}{self.counter}"

    def shapes_available(self):
        shapes = [(), self.base]
        if len(self.base) == 2:
            shapes += [(self.base[1],), (self.base[0],)]
        return shapes

    # -- expressions -----------------------------------------------------------
    def partner(self, scope, shape, depth):
        """An operand that broadcasts against a `shape` operand to `shape`."""
        options = ["const", "scalar"]
        if len(shape) == 2:
            options.append("row")
        if shape:
            options.append("same")
        pick = self.choice(options)
        if pick == "const":
            return self.choice(CONSTANTS)
        if pick == "row":
            return self.expr(scope, (shape[1],), depth)
        if pick == "same":
            return self.expr(scope, shape, depth)
        return self.expr(scope, (), depth)

    def expr(self, scope, shape, depth=2):
        """A runtime-valued expression of `shape`."""
        if depth <= 0 or self.coin(0.35):
            return self.leaf(scope, shape, depth)
        form = self.choice(["binop", "binop", "div", "unary", "unary", "exp"])
        a = self.expr(scope, shape, depth - 1)
        if form == "binop":
            b = self.partner(scope, shape, depth - 1)
            op = self.choice(["+", "-", "*"])
            if self.coin():
                a, b = b, a
            return f"{paren(a)} {op} {paren(b)}"
        if form == "div":
            b = self.partner(scope, shape, depth - 1)
            if self.coin():
                return f"{paren(a)} / (1.0 + {paren(b)} * {paren(b)})"
            return f"{paren(a)} / (2.0 + np.cos({b}))"
        if form == "unary":
            fn = self.choice(["np.tanh", "np.sin", "np.cos", "-"])
            return f"-{paren(a)}" if fn == "-" else f"{fn}({a})"
        inner = self.choice(["np.tanh", "np.sin", "np.cos"])
        return f"np.exp({inner}({a}))"

    def reads(self, scope, shape):
        """Element reads `a[i]`, `a[i, j]`, `a[1]`, rows `a[i]` giving `shape`."""
        out = []
        for name, s in scope.vars.items():
            if len(s) == 1 and shape == ():
                out += [f"{name}[{i}]" for i, stop in scope.indices if stop <= s[0]]
                out.append(f"{name}[{self.draw(st.integers(-s[0], s[0] - 1))}]")
            elif len(s) == 2 and shape == ():
                rows = [i for i, stop in scope.indices if stop <= s[0]] + [str(self.draw(st.integers(0, s[0] - 1)))]
                cols = [j for j, stop in scope.indices if stop <= s[1]] + [str(self.draw(st.integers(0, s[1] - 1)))]
                out += [f"{name}[{r}, {c}]" for r in rows for c in cols if not (r.isdigit() and c.isdigit())]
                out.append(f"{name}[{rows[-1]}, {cols[-1]}]")
            elif len(s) == 2 and shape == (s[1],):
                out += [f"{name}[{i}]" for i, stop in scope.indices if stop <= s[0]]
        return out

    def leaf(self, scope, shape, depth):
        options = [n for n, s in scope.vars.items() if s == shape] * 2    # plain variables twice as likely
        options += self.reads(scope, shape)
        if shape == ():
            options += ["reduce"] * 2
            if scope.indices:
                options.append("index")      # a loop index as a number: `0.5 * i`
        elif len(self.base) == 2 and shape in ((self.base[1],), (self.base[0],)):
            options += ["reduce_axis"] * 2
        if not options:
            options = ["reduce"] if shape == () else ["reduce_axis"]
        pick = self.choice(options)
        if pick == "reduce":
            arr_shape = self.choice([s for s in self.shapes_available() if s])
            arg = self.expr(scope, arr_shape, min(depth, 1) - 1) if depth > 0 else self.leaf_array(scope, arr_shape)
            form = self.choice(["np.sum({})", "{}.sum()", "np.mean({})", "{}.mean()"])
            return form.format(arg if form.startswith("np") else paren(arg))
        if pick == "reduce_axis":
            axis = 0 if shape == (self.base[1],) else 1
            arg = self.expr(scope, self.base, min(depth, 1) - 1) if depth > 0 else self.leaf_array(scope, self.base)
            form = self.choice(["np.sum({}, axis={})", "{}.sum(axis={})", "{}.sum({})", "np.mean({}, axis={})",
                                "{}.mean(axis={})"])
            return form.format(arg if form.startswith("np") else paren(arg), axis)
        if pick == "index":
            i, _ = self.choice(scope.indices)
            return f"{self.choice(['0.5', '0.25', '-0.5'])} * {i}"
        return pick

    def leaf_array(self, scope, shape):
        names = [n for n, s in scope.vars.items() if s == shape]
        if names:
            return self.choice(names)
        return self.leaf(scope, shape, 0)

    # -- statements ------------------------------------------------------------
    def value(self, scope, shape, depth=2):
        """An expression to bind to a name: never a bare array variable, so no two names
        share one array (NumPy's `+=` and element writes would then change both)."""
        e = self.expr(scope, shape, depth)
        if shape and e.isidentifier():
            e = f"{self.choice(CONSTANTS[:3])} * {e}"
        return e

    def rebindable(self, scope):
        return [n for n in scope.vars if n not in scope.buffers] + list(scope.consts)

    def shape_of(self, scope, name):
        return scope.vars.get(name, scope.consts.get(name))

    def bounded(self, scope, shape, target=None):
        """A value whose size does not grow with the number of loop trips."""
        e = self.expr(scope, shape, 1)
        f = self.choice(["np.tanh", "np.sin", "np.cos"])
        if target is None:
            return f"{f}({e})"
        forms = [f"{target} + {f}({e})", f"0.5 * {target} + {f}({e})", f"{target} * {f}({e})",
                 f"np.tanh({target} + {e})"]
        return self.choice(forms)

    def assign_stmt(self, scope):
        """A new variable, or a new value for an existing one."""
        targets = self.rebindable(scope)
        if targets and self.coin(0.4 if scope.loop_depth == 0 else 0.6):
            name = self.choice(targets)
            shape = self.shape_of(scope, name)
            if scope.loop_depth > 0:
                if self.coin(0.3):
                    stmt = Assign(name, self.bounded(scope, shape), self.choice(["+=", "-="]))
                else:
                    stmt = Assign(name, self.bounded(scope, shape, name))
            else:
                if self.coin(0.3):
                    stmt = Assign(name, self.expr(scope, shape), self.choice(["+=", "-="]))
                else:
                    stmt = Assign(name, self.value(scope, shape))
            self.define(scope, name, shape)
            return [stmt]
        shape = self.choice(self.shapes_available())
        name = self.fresh("s" if shape == () else "v")
        stmt = Assign(name, self.value(scope, shape))
        self.define(scope, name, shape)
        return [stmt]

    @staticmethod
    def define(scope, name, shape):
        scope.consts.pop(name, None)
        scope.vars[name] = shape

    def buffer_stmt(self, scope):
        """`y = np.zeros(...)` (or a copy) and a loop writing its elements."""
        src = self.choice([n for n, s in self.input_shapes.items() if s])
        shape = self.input_shapes[src]
        forms = [f"np.zeros({src}.shape)", f"np.zeros_like({src})", f"{src}.copy()", f"np.ones({src}.shape)"]
        if len(shape) == 1:
            forms += [f"np.zeros({src}.shape[0])", f"np.zeros(len({src}))", f"np.zeros({shape[0]})",
                      f"np.copy({src})"]
        else:
            forms += [f"np.zeros(({shape[0]}, {shape[1]}))"]
        name = self.fresh("y")
        stmts = [Assign(name, self.choice(forms))]
        scope.vars[name] = shape
        scope.buffers.add(name)
        if len(shape) == 2 and self.coin(0.5):
            # a row at a time
            loop = self.loop(scope, body_kind="fill_rows", buffer=name)
        else:
            loop = self.loop(scope, body_kind="fill", buffer=name)
        return stmts + [loop]

    def write_stmt(self, scope, buffer):
        """`y[i] = e`, `y[i] += e`, `y[i, j] = y[i, j] + e`: None if no loop index fits."""
        shape = scope.vars[buffer]
        if len(shape) == 1:
            idx = [i for i, stop in scope.indices if stop <= shape[0]]
            if not idx:
                return None
            index = self.choice(idx)
        else:
            rows = [i for i, stop in scope.indices if stop <= shape[0]]
            cols = [j for j, stop in scope.indices if stop <= shape[1]]
            if not rows:
                return None
            if not cols or self.coin(0.3):
                return self.row_write(scope, buffer, self.choice(rows))
            index = f"{self.choice(rows)}, {self.choice(cols)}"
        target = f"{buffer}[{index}]"
        form = self.choice(["set", "set", "add", "aug"])
        if form == "set":
            return Assign(target, self.expr(scope, ()))
        if form == "add":
            return Assign(target, f"{target} + {self.bounded(scope, ())}")
        return Assign(target, self.bounded(scope, ()), self.choice(["+=", "-="]))

    def row_write(self, scope, buffer, i):
        """`y[i] = e` for a row `e`, often computed from the row it replaces."""
        row = (scope.vars[buffer][1],)
        target = f"{buffer}[{i}]"
        form = self.choice(["set", "own", "add", "aug"])
        if form == "set":
            return Assign(target, self.bounded(scope, row))
        if form == "own":
            e = paren(self.expr(scope, row, 1))
            return Assign(target, self.choice([f"{target} * np.tanh({e})", f"np.sin({target}) + {e}",
                                               f"np.cos({target}) * np.tanh({e})"]))
        if form == "add":
            return Assign(target, f"{target} + {self.bounded(scope, row)}")
        return Assign(target, self.bounded(scope, row), self.choice(["+=", "-="]))

    def range_for(self, scope, want=None):
        """(range text, stop) over a dimension of an input, or a literal range."""
        src = self.choice([n for n, s in self.input_shapes.items() if s])
        shape = self.input_shapes[src]
        dim = self.draw(st.integers(0, len(shape) - 1))
        if want is not None:
            matching = [(n, d) for n, s in self.input_shapes.items() for d in range(len(s)) if s[d] == want]
            if matching:
                src, dim = self.choice(matching)
                shape = self.input_shapes[src]
        stop = shape[dim]
        forms = [(f"range({src}.shape[{dim}])", stop), (f"range(1, {src}.shape[{dim}])", stop),
                 (f"range({stop})", stop), (f"range({max(stop - 1, 1)})", max(stop - 1, 1))]
        if dim == 0:
            forms.append((f"range(len({src}))", stop))
        return self.choice(forms)

    def loop(self, scope, body_kind="any", buffer=None):
        index = "ijk"[scope.loop_depth] if scope.loop_depth < 3 else self.fresh("i")
        want = None
        if buffer is not None:
            bshape = scope.vars[buffer]
            want = bshape[0]
        range_text, stop = self.range_for(scope, want)
        inner = scope.child((index, stop))
        body = []
        if body_kind == "fill_rows":
            bshape = scope.vars[buffer]
            if stop <= bshape[0]:
                body.append(self.row_write(inner, buffer, index))
        elif body_kind == "fill":
            bshape = scope.vars[buffer]
            if len(bshape) == 2:
                # nested loop over columns
                col_range, col_stop = self.range_for(inner, bshape[1])
                j = "ijk"[inner.loop_depth] if inner.loop_depth < 3 else self.fresh("i")
                inner2 = inner.child((j, col_stop))
                pre = self.block(inner2, self.draw(st.integers(0, 1)), allow_loops=False)
                w = self.write_stmt(inner2, buffer)
                body.append(For(j, col_range, pre + ([w] if w else [])))
            else:
                body += self.block(inner, self.draw(st.integers(0, 1)), allow_loops=False)
                w = self.write_stmt(inner, buffer)
                if w:
                    body.append(w)
        body += self.block(inner, self.draw(st.integers(0 if body else 1, 2)),
                           allow_loops=body_kind == "nested" or (self.kind == "mixed" and inner.loop_depth < 2))
        if body_kind == "nested" and not any(isinstance(s, For) for s in body):
            body.append(self.loop(inner))
        # loop locals vanish; rebinding carried variables keeps them
        for name in list(scope.consts):
            if name in inner.vars and name not in scope.vars:
                del scope.consts[name]
                scope.vars[name] = inner.vars[name]
        return For(index, range_text, body)

    def if_stmt(self, scope):
        if scope.indices and self.coin(0.3):
            i, stop = self.choice(scope.indices)
            cond = IndexCond(f"{i} {self.choice(['>', '<', '=='])} {self.draw(st.integers(0, stop - 1))}")
        else:
            cond = ValueCond(self.n_conds, self.expr(scope, (), 1), self.choice([">", "<"]))
            self.n_conds += 1
        # variables both branches assign: new ones, or existing ones
        merged = []
        for _ in range(self.draw(st.integers(1, 2))):
            targets = self.rebindable(scope)
            if targets and self.coin(0.4):
                name = self.choice(targets)
                shape = self.shape_of(scope, name)
            else:
                shape = self.choice(self.shapes_available())
                name = self.fresh("s" if shape == () else "v")
            if name not in [m for m, _ in merged]:
                merged.append((name, shape))
        branches = []
        one_sided = all(name in scope.vars or name in scope.consts for name, _ in merged) and self.coin(0.3)
        for side in range(1 if one_sided else 2):
            inner = scope.child()
            inner.if_depth += 1
            body = self.block(inner, self.draw(st.integers(0, 1)), allow_loops=self.kind == "mixed"
                              and scope.loop_depth < 2)
            for name, shape in merged:
                if scope.loop_depth > 0 and name in scope.vars:
                    body.append(Assign(name, self.bounded(inner, shape, name)))
                else:
                    body.append(Assign(name, self.value(inner, shape)))
            branches.append(body)
        if not one_sided and self.coin(0.2) and isinstance(cond, ValueCond):
            # elif: the else branch is itself an if
            inner_if = If(ValueCond(self.n_conds, self.expr(scope, (), 1), self.choice([">", "<"])),
                          branches[1], [Assign(name, self.value(scope, shape)) for name, shape in merged])
            self.n_conds += 1
            branches[1] = [inner_if]
        for name, shape in merged:
            self.define(scope, name, shape)
        return If(cond, branches[0], branches[1] if len(branches) > 1 else [])

    def block(self, scope, n, allow_loops=True):
        stmts = []
        for _ in range(n):
            kinds = ["assign", "assign"]
            if self.kind in ("branch", "mixed") or (self.kind in ("loop", "nested") and scope.loop_depth > 0):
                if scope.if_depth < 2:
                    kinds.append("if")
            if allow_loops and self.kind in ("loop", "nested", "mixed") and scope.loop_depth < 2:
                kinds += ["loop", "buffer"]
            if scope.indices and any(self.write_ok(scope, b) for b in scope.buffers):
                kinds.append("write")
            kind = self.choice(kinds)
            if kind == "assign":
                stmts += self.assign_stmt(scope)
            elif kind == "if":
                stmts.append(self.if_stmt(scope))
            elif kind == "loop":
                stmts.append(self.loop(scope, "nested" if self.kind == "nested" and scope.loop_depth == 0 else "any"))
            elif kind == "buffer":
                stmts += self.buffer_stmt(scope)
            else:
                buffer = self.choice(sorted(b for b in scope.buffers if self.write_ok(scope, b)))
                stmts.append(self.write_stmt(scope, buffer))
        return stmts

    def write_ok(self, scope, buffer):
        shape = scope.vars[buffer]
        # a 2-d buffer takes whole rows when no index fits its columns
        return any(stop <= shape[0] for _, stop in scope.indices)

    def function(self):
        scope = Scope({n: s for n, s in self.input_shapes.items()}, {}, set(), [])
        body = []
        if self.kind in ("loop", "nested", "mixed") and self.coin(0.5):
            # an accumulator the loop carries
            name = self.fresh("acc")
            body.append(Assign(name, self.choice(["0.0", "1.0"])))
            scope.consts[name] = ()
        n = self.draw(st.integers(1, 3 if self.kind in ("straight", "branch") else 2))
        body += self.block(scope, n)
        if self.kind == "branch" and not any(isinstance(s, If) for s in body):
            body.append(self.if_stmt(scope))
        if self.kind in ("loop", "nested") and not any(isinstance(s, For) for s in body):
            if self.coin(0.5) and self.kind == "loop":
                body += self.buffer_stmt(scope)
            else:
                body.append(self.loop(scope, "nested" if self.kind == "nested" else "any"))
        ret_kind = self.choice(["scalar", "array", "tuple"])
        if ret_kind == "scalar":
            parts = [self.expr(scope, (), 2)]
        elif ret_kind == "array":
            parts = [self.expr(scope, self.choice([s for s in self.shapes_available() if s]), 2)]
        else:
            parts = [self.expr(scope, (), 1), self.expr(scope, self.base, 1)]
        # the newest variables reach the output
        for name in [n for n in scope.vars if n not in self.inputs][-2:]:
            if not re.search(rf"\b{name}\b", " ".join(parts)):
                parts[0] += f" + {name}" if scope.vars[name] == () else f" + np.sum({name})"
        ret = ", ".join(parts)
        return body, ret


# -- running --------------------------------------------------------------------

def render(args, body, ret, mode, thresholds):
    lines = ["import numpy as np", "", "", f"def f({', '.join(args)}):"]
    lines += render_block(body, mode, thresholds, "    ")
    lines.append(f"    return {ret}")
    return "\n".join(lines) + "\n"


def run(source, inputs, namespace):
    ns = dict(namespace)
    ns["np"] = np
    exec(compile(source, "<random program>", "exec"), ns)
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        return ns["f"](*[a.copy() for a in inputs])


def _finite_and_small(out):
    outs = out if isinstance(out, tuple) else (out,)
    arrays = [np.asarray(o, dtype=np.float64) for o in outs]
    return all(np.all(np.isfinite(a)) and np.max(np.abs(a), initial=0.0) <= MAX_ABS_OUTPUT for a in arrays)


def choose_thresholds(draw, gen, args, body, ret, inputs):
    """Thresholds of all value conditions, each far from every value it is compared with."""
    n = gen.n_conds
    if n == 0:
        return {}
    taken = [draw(st.booleans()) for _ in range(n)]
    seen = {k: [] for k in range(n)}

    def _cond(k, value):
        seen[k].append(float(value))
        return taken[k]

    try:
        run(render(args, body, ret, "probe", {}), inputs, {"_cond": _cond})
    except FloatingPointError:
        assume(False)
    one_way = {}
    for cond in _conds(body):
        vals = seen[cond.k]
        if not vals:
            one_way[cond.k] = 0.0
            continue
        lo, hi = min(vals), max(vals)
        # `value op c` must be `taken` for every value seen
        if (cond.op == ">") == taken[cond.k]:
            one_way[cond.k] = round(lo - MARGIN, 3)
        else:
            one_way[cond.k] = round(hi + MARGIN, 3)
    two_way = dict(one_way)
    changed = False
    for cond in _conds(body):
        vals = sorted(set(seen[cond.k]))
        gaps = [(a + b) / 2 for a, b in zip(vals, vals[1:]) if b - a > 2 * GAP_MARGIN + 0.01]
        if gaps and draw(st.booleans()):
            two_way[cond.k] = round(draw(st.sampled_from(gaps)), 3)
            changed = True
    if not changed:
        return one_way
    closest = [math.inf]

    def _check(k, value, c, op):
        closest[0] = min(closest[0], abs(float(value) - c))
        return value > c if op == ">" else value < c

    try:
        run(render(args, body, ret, "check", two_way), inputs, {"_check": _check})
    except FloatingPointError:
        return one_way
    return two_way if closest[0] >= GAP_MARGIN else one_way


def _conds(stmts):
    for s in stmts:
        if isinstance(s, If):
            if isinstance(s.cond, ValueCond):
                yield s.cond
            yield from _conds(s.body)
            yield from _conds(s.orelse)
        elif isinstance(s, For):
            yield from _conds(s.body)


# inputs on a 0.01 grid in [-1.5, 1.5]: readable reproducers, shrinking towards 0
element = st.integers(-150, 150).map(lambda k: k / 100)


@st.composite
def programs(draw, kinds=tuple(CLASSES)):
    kind = draw(st.sampled_from(kinds))
    base = draw(st.sampled_from(BASE_SHAPES))
    n_inputs = draw(st.integers(1, 3))
    shapes = [base]
    for _ in range(n_inputs - 1):
        options = [base, ()]
        if len(base) == 2:
            options.append((base[1],))
        shapes.append(draw(st.sampled_from(options)))
    gen = Gen(draw, kind, shapes)
    body, ret = gen.function()
    inputs = [np.array(draw(st.lists(element, min_size=int(np.prod(s)), max_size=int(np.prod(s)))),
                       dtype=np.float64).reshape(s) for s in shapes]
    thresholds = choose_thresholds(draw, gen, gen.inputs, body, ret, inputs)
    source = render(gen.inputs, body, ret, "final", thresholds)
    try:
        out = run(source, inputs, {})
    except FloatingPointError:
        assume(False)
    assume(_finite_and_small(out))
    return Program(source, inputs, kind, shapes)
