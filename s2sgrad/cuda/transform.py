"""Rewrite the generated forward/backward module for the device: the same statements,
with every run of elementwise statements replaced by one call of a fused chain
(`fusion.FusedChain`), branch and loop conditions read back to the host, and the
remaining kernel calls bound to `s2sgrad.cuda.kernels`. The host Python that results
only launches kernels; it runs uncompiled.

Array-level slicing (`x[a:b, j]` reads, `d[a:b, j] += g` accumulations) becomes calls
of slice kernels. Element-level code (indexing elements, writing into an array, scalar
tapes) is refused here with the generated line, which the caller maps to the user's line."""
import ast
import itertools

from ..errors import S2SGradError
from . import fusion

# Kernel names of generated code that run on the host as they are (no array work).
HOST_CALLS = {"range", "len", "List", "trip_count", "forward", "backward", "host_bool", "host_int",
              "host_scalar", "to_scalar", "abs", "min", "max", "int", "float", "bool", "tape_new", "tape_push",
              "tape_reserve", "slice"}
ELEMENT_LEVEL_CALLS = set()


class ElementLevelError(S2SGradError):
    """Element-level code reached the CUDA target. `generated_line` is the line of the
    generated module; s2sgrad.grad turns it into the user's location."""

    def __init__(self, message, loc=None, hint=None, generated_line=None):
        self.generated_line = generated_line
        super().__init__(message, loc, hint)


CPU_HINT = ("run this program on the CPU target (ms.set_context(device_target=\"CPU\"), or "
            "@s2sgrad.jit(target=\"cpu\")), where Numba compiles the loops; or write it with whole-array "
            "operations")


def refuse_element_level(node, what):
    raise ElementLevelError(f"{what} is element-level code, not a GPU workload: the CUDA target runs "
                            f"array-level programs (whole-array operations, fused into kernels)",
                            hint=CPU_HINT, generated_line=getattr(node, "lineno", None))


class SliceCalls(ast.NodeTransformer):
    """Array-level slicing becomes kernel calls: a read `x[a:b, j]` -> slice_get(x, index),
    an accumulation `d[a:b, j] += g` -> slice_add(d, index, g), the index built on the
    host (`slice(...)` of host ints). Indexes without a slice (`x[i]`, `x[i, j]`) read
    elements and stay: `check` refuses them."""

    def visit_Subscript(self, node):
        self.generic_visit(node)
        if isinstance(node.ctx, ast.Load) and isinstance(node.value, ast.Name) and _has_slice(node.slice):
            return ast.copy_location(_call("slice_get", node.value, _host_index(node.slice)), node)
        return node

    def visit_AugAssign(self, node):
        node.value = self.visit(node.value)
        t = node.target
        if isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name) and isinstance(node.op, ast.Add) \
                and _has_slice(t.slice):
            call = _call("slice_add", ast.Name(t.value.id, ast.Load()), _host_index(t.slice), node.value)
            return ast.copy_location(ast.Expr(call), node)
        return node


def _has_slice(index):
    parts = index.elts if isinstance(index, ast.Tuple) else [index]
    return any(isinstance(p, ast.Slice) for p in parts)


def _call(name, *args):
    return ast.Call(func=ast.Name(name, ast.Load()), args=list(args), keywords=[])


def _host_index(index):
    def bound(b):
        return ast.Constant(None) if b is None else b if isinstance(b, ast.Constant) else _call("host_int", b)
    parts = index.elts if isinstance(index, ast.Tuple) else [index]
    return ast.Tuple([_call("slice", bound(p.lower), bound(p.upper), bound(p.step)) if isinstance(p, ast.Slice)
                      else bound(p) for p in parts], ast.Load())


class Transformer:
    """Builds the host module source and its fused chains from the generated source."""

    def __init__(self, source, kernel_names):
        self.tree = ast.parse(source)
        self.kernel_names = set(kernel_names)
        self.chains = {}
        self.counter = itertools.count()
        self.tmp = itertools.count()

    def run(self):
        funcs = [n for n in self.tree.body if isinstance(n, ast.FunctionDef)]
        for fn in funcs:
            SliceCalls().visit(fn)
            self.check(fn)
        out = ['"""Host side of the CUDA target: launches kernels; fused chains are `_fused_<n>`."""', ""]
        for fn in funcs:
            fn.body = self.flatten_block(fn.body)
            fn.body = self.block(fn.body, fn)
            out.append(ast.unparse(ast.fix_missing_locations(fn)))
            out.append("")
        return "\n".join(out) + "\n", self.chains

    # -- refusing element-level code -----------------------------------------------------

    def check(self, fn):
        tuple_names = {"residuals", "out", "sens"} if fn.name == "value_and_grad" else {"residuals", "sens"}
        for node in ast.walk(fn):
            if isinstance(node, ast.Subscript):
                base = node.value
                if isinstance(base, ast.Attribute) and base.attr == "shape":
                    continue
                if isinstance(base, ast.Name) and (base.id in tuple_names or base.id.startswith("tape_")):
                    continue                # a tuple, or a host-side tape of scalars (branch decisions, ...)
                if isinstance(node.ctx, ast.Store):
                    refuse_element_level(node, "writing into an array element or slice (`y[i] = ...`)")
                refuse_element_level(node, "indexing an array (`x[i]`, `x[:, j]`)")
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                name = node.func.id
                if name in ELEMENT_LEVEL_CALLS:
                    refuse_element_level(node, "a loop that records scalars computed element by element")
                if not (name in HOST_CALLS or name in self.kernel_names or fusion.is_elementwise(node)):
                    raise ElementLevelError(f"the CUDA target has no kernel for `{name}` yet",
                                            hint="run this program on the CPU target (target=\"cpu\")",
                                            generated_line=getattr(node, "lineno", None))

    # -- flattening: elementwise expressions and kernel calls in statements of their own --

    def new_tmp(self):
        return f"_t{next(self.tmp)}"

    def flatten_block(self, stmts):
        out = []
        for stmt in stmts:
            if isinstance(stmt, (ast.If, ast.While)):
                # a while condition is re-evaluated each time: generated code keeps it a name
                test = self.operand(stmt.test, out, stmt) if isinstance(stmt, ast.If) else stmt.test
                stmt.test = ast.Call(func=ast.Name("host_bool", ast.Load()), args=[test], keywords=[])
                stmt.body = self.flatten_block(stmt.body)
                stmt.orelse = self.flatten_block(stmt.orelse)
            elif isinstance(stmt, ast.For):
                stmt.iter.args = [ast.Call(func=ast.Name("host_int", ast.Load()), args=[self.operand(a, out, stmt)],
                                           keywords=[]) for a in stmt.iter.args]
                stmt.body = self.flatten_block(stmt.body)
            elif isinstance(stmt, ast.AugAssign):
                value = ast.BinOp(left=ast.Name(stmt.target.id, ast.Load()), op=stmt.op, right=stmt.value)
                new = ast.copy_location(ast.Assign(targets=[stmt.target], value=value), stmt)
                new.target_store = True
                out += self.flatten_block([new])
                continue
            elif isinstance(stmt, ast.Assign) and isinstance(stmt.targets[0], ast.Subscript):
                # a store on a scalar tape (check() refused every other): the value goes to the host
                stmt.value = _call("host_scalar", self.operand(stmt.value, out, stmt))
            elif isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Call) and \
                    getattr(stmt.value.func, "id", None) == "tape_push":
                tape, n, value = stmt.value.args
                stmt.value.args = [tape, n, _call("host_scalar", self.operand(value, out, stmt))]
            elif isinstance(stmt, ast.Assign):
                stmt.value = self.value(stmt.value, out, stmt)
            elif isinstance(stmt, ast.Return) and stmt.value is not None:
                stmt.value = self.value(stmt.value, out, stmt, top=False)
            elif isinstance(stmt, ast.Expr):
                stmt.value = self.value(stmt.value, out, stmt, top=False)
            out.append(stmt)
        return out

    def value(self, node, pre, stmt, top=True):
        """The statement's value, with nested work hoisted; at the top of an assignment an
        elementwise expression stays (it is the statement)."""
        if fusion.is_elementwise(node):
            if top:
                return self.ew(node, pre, stmt)
            return self.operand(node, pre, stmt)
        if isinstance(node, ast.Tuple):
            node.elts = [self.operand(e, pre, stmt) for e in node.elts]
            return node
        if isinstance(node, ast.Call):
            node.args = [self.operand(a, pre, stmt) for a in node.args]
            return node
        return node

    def operand(self, node, pre, stmt):
        """An argument of a kernel call: elementwise expressions over names go to a statement
        of their own; constant-only ones stay (they run on the host)."""
        if fusion.is_elementwise(node) and _has_names(node):
            name = self.new_tmp()
            value = self.ew(node, pre, stmt)
            pre.append(ast.copy_location(ast.Assign(targets=[ast.Name(name, ast.Store())], value=value), stmt))
            return ast.Name(name, ast.Load())
        if isinstance(node, ast.Call) and not fusion.is_elementwise(node):
            node.args = [self.operand(a, pre, stmt) for a in node.args]
            return node
        if isinstance(node, ast.Tuple):
            node.elts = [self.operand(e, pre, stmt) for e in node.elts]
        return node

    def ew(self, node, pre, stmt):
        """An elementwise tree whose non-elementwise calls are hoisted into statements."""
        if fusion.is_elementwise(node):
            for field, value in ast.iter_fields(node):
                if field in ("op", "ops", "func", "keywords"):
                    continue
                if isinstance(value, list):
                    setattr(node, field, [self.ew(v, pre, stmt) for v in value])
                elif isinstance(value, ast.AST):
                    setattr(node, field, self.ew(value, pre, stmt))
            return node
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id not in HOST_CALLS:
            name = self.new_tmp()
            node.args = [self.operand(a, pre, stmt) for a in node.args]
            pre.append(ast.copy_location(ast.Assign(targets=[ast.Name(name, ast.Store())], value=node), stmt))
            return ast.Name(name, ast.Load())
        return node

    # -- grouping runs of elementwise statements into fused chains -----------------------

    def block(self, stmts, fn):
        out, run = [], []
        for stmt in stmts:
            if self.is_ew_stmt(stmt, run):
                defined = {s.targets[0].id for s in run}
                if _leaf_bases(stmt.value) & defined:    # x.shape of an x this run defines: new run
                    out += self.fuse(run, fn)
                    run = []
                run.append(stmt)
                continue
            out += self.fuse(run, fn)
            run = []
            for field in ("body", "orelse"):
                if isinstance(getattr(stmt, field, None), list) and getattr(stmt, field):
                    setattr(stmt, field, self.block(getattr(stmt, field), fn))
            out.append(stmt)
        out += self.fuse(run, fn)
        return out or [ast.Pass()]

    def is_ew_stmt(self, stmt, run):
        if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)):
            return False
        value = stmt.value
        if isinstance(value, ast.Name):           # an alias joins a run only if it copies a run's value
            return any(value.id == s.targets[0].id for s in run)
        return fusion.is_elementwise(value) and _has_names(value)

    def fuse(self, run, fn):
        if not run:
            return []
        run_ids = {id(n) for s in run for n in ast.walk(s)}
        read_outside = {n.id for n in ast.walk(fn) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
                        and id(n) not in run_ids}
        leaves, local = [], {}          # leaf source text -> index; name -> current V index
        exprs, described = [], []

        def rewrite(node):
            if isinstance(node, ast.Name) and node.id in fusion.DTYPE_NAMES:
                return node
            if isinstance(node, ast.Name) and node.id in local:
                return ast.Name(f"V{local[node.id]}", ast.Load())
            if isinstance(node, ast.Constant):
                return node
            if fusion.is_elementwise(node):
                node = _copy(node)
                for field, value in ast.iter_fields(node):
                    if field in ("op", "ops", "func", "keywords"):
                        continue
                    if isinstance(value, list):
                        setattr(node, field, [rewrite(v) for v in value])
                    elif isinstance(value, ast.AST):
                        setattr(node, field, rewrite(value))
                return node
            text = ast.unparse(node)
            if text not in leaves:
                leaves.append(text)
            return ast.Name(f"L{leaves.index(text)}", ast.Load())

        for stmt in run:
            described.append(ast.unparse(stmt))
            expr = rewrite(stmt.value)
            if isinstance(expr, ast.Name) and expr.id.startswith("V"):    # an alias: the same value
                local[stmt.targets[0].id] = int(expr.id[1:])
                continue
            exprs.append(expr)
            local[stmt.targets[0].id] = len(exprs) - 1
        outputs = [(name, j) for name, j in local.items() if name in read_outside]
        if not outputs:
            return []
        name = f"_fused_{next(self.counter)}"
        self.chains[name] = fusion.FusedChain(name, exprs, len(leaves), [j for _, j in outputs], described)
        targets = [ast.Name(n, ast.Store()) for n, _ in outputs]
        call = ast.Call(func=ast.Name(name, ast.Load()), args=[ast.parse(t, mode="eval").body for t in leaves],
                        keywords=[])
        target = targets[0] if len(targets) == 1 else ast.Tuple(targets, ast.Store())
        new = ast.copy_location(ast.Assign(targets=[target], value=call), run[0])
        return [new]


def _call(name, *args):
    return ast.Call(func=ast.Name(name, ast.Load()), args=list(args), keywords=[])


def _has_names(node):
    """Whether an expression reads any variable (constant-only expressions stay on the host)."""
    if isinstance(node, ast.Name):
        return node.id not in fusion.DTYPE_NAMES
    if isinstance(node, (ast.Attribute, ast.Subscript)):
        return True
    if isinstance(node, ast.Call):
        return any(_has_names(a) for a in node.args)
    return any(_has_names(c) for c in ast.iter_child_nodes(node))


def _leaf_bases(node):
    """Variables read inside host sub-expressions (x in x.shape[0]) of an elementwise statement."""
    out = set()
    for n in ast.walk(node):
        if isinstance(n, (ast.Attribute, ast.Subscript)):
            out |= {m.id for m in ast.walk(n) if isinstance(m, ast.Name)}
    return out


def _copy(node):
    import copy
    return copy.copy(node)
