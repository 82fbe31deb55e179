"""Elementwise fusion: each maximal run of elementwise statements in the generated
forward or backward becomes one `FusedChain`, launched as one generated @cuda.jit
kernel (`chain_source` shows it).

A chain is a list of statements over placeholders: `L<i>` for the values it reads
from outside (its leaves: arrays, device 0-d arrays or host numbers) and `V<j>` for
its own statements' results. At a call, given the leaves, the chain
- runs the statements whose inputs are all host numbers on the host (NumPy, the
  CPU kernels), so shapes, counters and constants never move to the device;
- infers every result's dtype with NumPy on one-element stand-ins (so float32 stays
  float32 exactly as on the CPU) and its shape by broadcasting;
- launches one kernel over the broadcast shape of the device statements (a run whose
  shapes do not broadcast together is split into consecutive parts that do), in which
  each thread computes its element of every statement and writes the live-out ones.
Kernels are generated per (leaf kinds, dtypes) and compiled on first use; shapes and
ranks are runtime arguments (Numba specialises on rank)."""
import ast
import math

import numpy as np
from numba import cuda

from .. import backend as cpu_backend
from . import device as D
from ..codegen import NUMPY_FUNCTIONS
from .device_math import NAMESPACE as DEVICE_MATH
from .kernels import broadcast_strides

DTYPE_NAMES = {"float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool_"}


def _un(fmt):
    return lambda a: fmt.format(*a)


# Kernel-source templates: operand expressions -> the element's expression.
TEMPLATES = {
    "add": _un("({0} + {1})"), "sub": _un("({0} - {1})"), "mul": _un("({0} * {1})"),
    "div": _un("({0} / {1})"), "pow": _un("d_pow({0}, {1})"), "neg": _un("(-{0})"),
    "square": _un("({0} * {0})"), "exp": _un("d_exp({0})"), "log": _un("d_log({0})"),
    "sqrt": _un("d_sqrt({0})"), "relu": _un("d_relu({0})"), "sigmoid": _un("d_sigmoid({0})"),
    "tanh": _un("math.tanh({0})"), "sin": _un("math.sin({0})"), "cos": _un("math.cos({0})"),
    "tan": _un("d_tan({0})"), "erf": _un("d_erf({0})"), "abs": _un("abs({0})"),
    "log1p": _un("math.log1p({0})"), "expm1": _un("math.expm1({0})"),
    "sign": _un("d_sign({0})"), "floor": _un("d_floor({0})"), "round": _un("d_round({0})"),
    "maximum": _un("d_max({0}, {1})"), "minimum": _un("d_min({0}, {1})"),
    "log_or_zero": _un("d_log_or_zero({0}, {1})"),
    "greater": _un("({0} > {1})"), "less": _un("({0} < {1})"), "greater_equal": _un("({0} >= {1})"),
    "less_equal": _un("({0} <= {1})"), "equal": _un("({0} == {1})"), "not_equal": _un("({0} != {1})"),
    "logical_and": _un("(({0} != 0) and ({1} != 0))"), "logical_or": _un("(({0} != 0) or ({1} != 0))"),
    "logical_not": _un("({0} == 0)"), "select": _un("({1} if {0} else {2})"),
    "select_scalar": _un("({1} if {0} else {2})"), "copy": _un("{0}"), "stop_gradient": _un("{0}"),
    "gelu": _un("d_gelu({0}, {1})"), "gelu_grad": _un("d_gelu_grad({0}, {1}, {2})"),
}
CLIP = "clip"          # clip(x, lo, hi): bounds take x's dtype (const_like), then min(max(x, lo), hi)
CAST = "cast"          # cast(x, dtype) and dtype constructors float32(x), ...
ELEMENTWISE = set(TEMPLATES) | {CLIP, CAST} | DTYPE_NAMES
BINOPS = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div", ast.Pow: "pow"}
CMPOPS = {ast.Gt: "greater", ast.Lt: "less", ast.GtE: "greater_equal", ast.LtE: "less_equal",
          ast.Eq: "equal", ast.NotEq: "not_equal"}


def is_elementwise(node):
    if isinstance(node, ast.BinOp):
        return type(node.op) in BINOPS
    if isinstance(node, ast.UnaryOp):
        return isinstance(node.op, ast.USub)
    if isinstance(node, ast.Compare):
        return len(node.ops) == 1 and type(node.ops[0]) in CMPOPS
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ELEMENTWISE
            and not node.keywords)


def operation(node):
    """(primitive name, operand nodes) of an elementwise node."""
    if isinstance(node, ast.BinOp):
        return BINOPS[type(node.op)], [node.left, node.right]
    if isinstance(node, ast.UnaryOp):
        return "neg", [node.operand]
    if isinstance(node, ast.Compare):
        return CMPOPS[type(node.ops[0])], [node.left, node.comparators[0]]
    return node.func.id, list(node.args)


def _dtype_name(dt):
    return "bool_" if dt == np.bool_ else np.dtype(dt).name


class FusedChain:
    """One run of elementwise statements: `exprs[j]` computes V<j> from L<i> and earlier V<k>;
    `outputs` are the V indices the caller receives, in order."""

    def __init__(self, name, exprs, n_leaves, outputs, described=()):
        self.name = name
        self.exprs = exprs
        self.n_leaves = n_leaves
        self.outputs = list(outputs)
        self.described = list(described)       # original statements, for the listing
        self.reads = [_reads(e) for e in exprs]
        self._plans = {}
        self._kernels = {}
        self.sources = {}                       # (kinds, dtypes) -> kernel source text
        self._host = _host_function(exprs, n_leaves, name)

    # -- running ------------------------------------------------------------------

    def __call__(self, *leaves):
        key = tuple([(True, v.dtype.str, v.shape) if D.is_device(v) else _host_key(v) for v in leaves])
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plans[key] = self._plan(leaves)
        return plan(leaves)

    def _plan(self, leaves):
        leaves = [_upload_if_array(v) for v in leaves]
        on_device = [D.is_device(v) for v in leaves]
        n = len(self.exprs)
        device_stmt = []
        for j in range(n):
            dev = any(on_device[i] if kind == "L" else device_stmt[i] for kind, i in self.reads[j])
            device_stmt.append(dev)
        dtypes = self._dtypes(leaves)
        shapes = self._shapes(leaves)
        if not any(device_stmt):
            host = self._host
            outs = self.outputs
            return lambda vals: _pick(host(*vals), outs)
        host_part = [j for j in range(n) if not device_stmt[j]]
        dev_part = [j for j in range(n) if device_stmt[j]]
        parts = _broadcast_parts(dev_part, shapes)
        launches = []
        for p, part in enumerate(parts):
            rest = [j for q in parts[p + 1:] for j in q]
            reads_after = set(self.outputs) | {i for j in rest for kind, i in self.reads[j] if kind == "V"}
            outs = [j for j in part if j in reads_after]
            launches.append(self._launch_plan(part, outs, on_device, device_stmt, dtypes, shapes))
        host = _host_function(self.exprs, self.n_leaves, self.name, host_part) if host_part else None
        outputs = self.outputs

        def run(vals):
            vals = [_upload_if_array(v) for v in vals]
            env = dict(zip(host_part, host(*vals))) if host is not None else {}
            for launch in launches:         # host statements first: they read no device value
                env.update(launch(vals, env))
            result = tuple(env[j] for j in outputs)
            return result[0] if len(result) == 1 else result
        return run

    def _dtypes(self, leaves):
        """Every statement's dtype, by running the statements on one-element stand-ins."""
        stand = [np.ones(1, v.dtype) if D.is_device(v) else v for v in leaves]
        with np.errstate(all="ignore"):
            values = self._host(*stand)
        return [np.asarray(v).dtype for v in values]

    def _shapes(self, leaves):
        shapes = []
        leaf_shapes = [tuple(v.shape) if D.is_device(v) else () for v in leaves]
        for j, reads in enumerate(self.reads):
            parts = [leaf_shapes[i] if kind == "L" else shapes[i] for kind, i in reads]
            try:
                shapes.append(np.broadcast_shapes(*parts) if parts else ())
            except ValueError:
                raise ValueError(f"fused elementwise statement {j} of {self.name}: operands of shapes "
                                 f"{parts} do not broadcast") from None
        return shapes

    def _launch_plan(self, part, outs, on_device, device_stmt, dtypes, shapes):
        """A function (leaf values, env of computed statements) -> {statement: device array}."""
        grid = np.broadcast_shapes(*[shapes[j] for j in part]) if part else ()
        size = int(np.prod(grid)) if grid else 1
        args = []                      # ("L", i) | ("V", j): the kernel's inputs, in order
        for j in part:
            for kind, i in self.reads[j]:
                ref = (kind, i)
                if (kind == "V" and i in part) or ref in args:
                    continue
                args.append(ref)
        kinds = tuple(on_device[i] if kind == "L" else device_stmt[i] for kind, i in args)
        key = (tuple(part), tuple(outs), kinds)
        kernel = self._kernels.get(key)
        if kernel is None:
            src = chain_source(self, part, outs, args, kinds, dtypes)
            self.sources[key] = src
            kernel = self._kernels[key] = _compile_kernel(src, f"{self.name}_k{len(self._kernels)}")
        padded = tuple(int(s) for s in grid) or (1,)
        out_specs = [(j, tuple(shapes[j]), dtypes[j], broadcast_strides(shapes[j], padded)) for j in outs]
        blocks = D.blocks_for(size)

        def launch(vals, env):
            inputs = [vals[i] if kind == "L" else env[i] for kind, i in args]
            call = [size, padded, False]
            bcast = False
            for v, dev in zip(inputs, kinds):
                if dev:
                    call.append(D.flat(v))
                    st = broadcast_strides(v.shape, padded)
                    bcast = bcast or tuple(v.shape) != grid
                    call.append(st or (0,))
                else:
                    call.append(v)
            result = {}
            for j, shape, dtype, st in out_specs:
                out = D.empty(shape, dtype)
                result[j] = out
                call.append(D.flat(out))
                call.append(st or (0,))
                bcast = bcast or shape != grid
            call[2] = bcast
            if size:
                kernel[blocks, D.THREADS](*call)
            return result
        return launch

    def listing(self):
        """The fused statements and every kernel generated for them so far."""
        lines = [f"# {self.name}: " + "; ".join(self.described)]
        for src in self.sources.values():
            lines.append(src)
        return "\n".join(lines)


def _host_key(v):
    if isinstance(v, (bool, int, float)):
        return (False, type(v))
    return (False, np.asarray(v).dtype.str, np.shape(v))


def _upload_if_array(v):
    if isinstance(v, np.ndarray) and v.ndim:
        return D.to_device(v)
    return v


def _pick(values, outputs):
    result = tuple(values[j] for j in outputs)
    return result[0] if len(result) == 1 else result


def _reads(expr):
    """[("L", i) | ("V", j)] read by an expression, in first-use order, without repeats."""
    out = []
    for node in ast.walk(expr):
        if isinstance(node, ast.Name) and node.id[0] in "LV" and node.id[1:].isdigit():
            ref = (node.id[0], int(node.id[1:]))
            if ref not in out:
                out.append(ref)
    return out


def _broadcast_parts(stmts, shapes):
    """Consecutive groups of statements whose shapes broadcast together."""
    parts, current, grid = [], [], None
    for j in stmts:
        try:
            new = np.broadcast_shapes(grid, shapes[j]) if current else shapes[j]
        except ValueError:
            parts.append(current)
            current, new = [], shapes[j]
        current.append(j)
        grid = new
    if current:
        parts.append(current)
    return parts


def _host_function(exprs, n_leaves, name, which=None):
    """def host(L0, ..): V0 = ..; ...; return (V0, ...) for statements `which` (default all),
    calling the CPU kernels: the host path and the dtype oracle."""
    which = range(len(exprs)) if which is None else which
    lines = [f"def host({', '.join(f'L{i}' for i in range(n_leaves))}):"]
    lines += [f"    V{j} = {ast.unparse(exprs[j])}" for j in which]
    lines.append(f"    return ({''.join(f'V{j}, ' for j in which)})")
    ns = dict(cpu_backend.NAMESPACE)
    ns.update({n: getattr(np, n) for n in DTYPE_NAMES | NUMPY_FUNCTIONS})     # what generated code imports
    filename = f"<s2sgrad fused host {name}>"
    exec(compile("\n".join(lines), filename, "exec"), ns)
    return ns["host"]


class _ElementWriter(ast.NodeVisitor):
    """Translates an elementwise expression over L/V placeholders into kernel source."""

    def __init__(self, names, dtypes):
        self.names = names          # ("L", i) | ("V", j) -> local variable name in the kernel
        self.dtypes = dtypes        # statement dtypes (for clip bounds)

    def expr(self, node):
        if isinstance(node, ast.Name):
            if node.id in DTYPE_NAMES:
                return node.id
            return self.names[(node.id[0], int(node.id[1:]))]
        if isinstance(node, ast.Constant):
            v = node.value
            if isinstance(v, float) and not math.isfinite(v):
                return "math.nan" if v != v else ("math.inf" if v > 0 else "(-math.inf)")
            return repr(v)
        if isinstance(node, ast.UnaryOp) and isinstance(node.operand, ast.Constant):
            return f"(-{self.expr(node.operand)})"
        name, operands = operation(node)
        parts = [self.expr(a) for a in operands]
        if name in DTYPE_NAMES:
            return _cast(parts[0], name)
        if name == CAST:
            return _cast(parts[0], operands[1].id)
        if name == CLIP:
            return f"d_min(d_max({parts[0]}, {parts[1]}), {parts[2]})"
        return TEMPLATES[name](parts)


def _cast(expr, dtype_name):
    if dtype_name == "bool_":
        return f"({expr} != 0)"
    return f"{dtype_name}({expr})"


def chain_source(chain, part, outs, args, kinds, dtypes):
    """Kernel source for statements `part` of `chain`, writing statements `outs`."""
    fname = "kernel"
    params = ["n", "shape", "bcast"]
    names = {}
    loads = []
    for (kind, i), dev in zip(args, kinds):
        p = f"{kind.lower()}{i}"
        names[(kind, i)] = f"x_{p}"
        if dev:
            params += [f"a_{p}", f"s_{p}"]
            loads.append((p, True))
        else:
            params.append(f"x_{p}")
    for j in outs:
        params += [f"o{j}", f"os{j}"]
    for j in part:
        names[("V", j)] = f"v{j}"
    w = _ElementWriter(names, dtypes)
    body = [f"def {fname}({', '.join(params)}):",
            "    start = cuda.grid(1)",
            "    step = cuda.gridsize(1)",
            "    for i in range(start, n, step):"]
    offsets = [f"i_{p}" for p, _ in loads] + [f"w{j}" for j in outs]
    body.append("        " + " = ".join(offsets + ["i"]) if offsets else "        pass")
    body += [f"        keep{j} = True" for j in outs]
    if offsets:
        body.append("        if bcast:")
        body += [f"            {o} = 0" for o in offsets]
        body += ["            rem = i",
                 "            for d in range(len(shape) - 1, -1, -1):",
                 "                k = rem % shape[d]",
                 "                rem = rem // shape[d]"]
        body += [f"                i_{p} += k * s_{p}[d]" for p, _ in loads]
        for j in outs:        # an output smaller than the grid: only its first copy writes
            body += [f"                w{j} += k * os{j}[d]",
                     f"                if os{j}[d] == 0 and k != 0:",
                     f"                    keep{j} = False"]
    for p, _ in loads:
        body.append(f"        x_{p} = a_{p}[i_{p}]")
    for j in part:
        expr = w.expr(chain.exprs[j])
        dt = dtypes[j]
        body.append(f"        v{j} = {_cast(expr, _dtype_name(dt)) if dt != np.bool_ else expr}")
    for j in outs:
        body.append(f"        if keep{j}:")
        body.append(f"            o{j}[w{j}] = v{j}")
    return "\n".join(body) + "\n"


_kernel_counter = [0]


def _compile_kernel(src, name):
    import linecache
    _kernel_counter[0] += 1
    filename = f"<s2sgrad fused kernel {name} #{_kernel_counter[0]}>"
    linecache.cache[filename] = (len(src), None, src.splitlines(True), filename)
    ns = {"cuda": cuda, "math": math}
    ns.update({n: getattr(np, n) for n in DTYPE_NAMES})
    ns.update(DEVICE_MATH)
    exec(compile(src, filename, "exec"), ns)
    return cuda.jit(ns["kernel"])
