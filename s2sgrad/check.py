"""`s2sgrad check`: every gradient of a model against central finite differences.

The model runs in float64 (inputs drawn at random, float Parameters cast) so the
differences are accurate; the objective is sum(sens * output) for a random sens,
which checks the whole vector-Jacobian product, not only its sum. Big tensors are
checked at a bounded sample of entries so that a check takes seconds. Finite
differences use the compiled forward only, never the generated backward.
"""
from dataclasses import dataclass, field

import numpy as np

EPS = 1e-6


@dataclass
class Row:
    name: str
    shape: tuple
    checked: int = 0
    max_abs: float = 0.0
    max_rel: float = 0.0
    ok: bool = True
    note: str = ""


@dataclass
class CheckResult:
    what: str
    rows: list = field(default_factory=list)
    notes: list = field(default_factory=list)

    @property
    def ok(self):
        return all(r.ok for r in self.rows)


def _flatten(value):
    from .tensor import Tensor
    if isinstance(value, (tuple, list)):
        return [x for v in value for x in _flatten(v)]
    return [np.asarray(value._data if isinstance(value, Tensor) else value, dtype=np.float64)]


def _like(value, make):
    from .tensor import Tensor
    if isinstance(value, (tuple, list)):
        return tuple(_like(v, make) for v in value)
    return make(np.asarray(value._data if isinstance(value, Tensor) else value))


def check_gradients(network, specs, build_arguments, wrt="all", target="cpu", seed=0, samples=12,
                    rtol=1e-4, atol=1e-6, cache=True):
    """Compare s2sgrad's gradients of `network` with finite differences; a CheckResult."""
    from .errors import S2SGradError
    from .grad import GradFunction
    from .jit import JitOptions, Primal
    from .nn.cell import Cell
    rng = np.random.default_rng(seed)
    result = CheckResult(type(network).__name__ if isinstance(network, Cell) else network.__name__)
    args = build_arguments(network, specs, lambda s: s.random(rng, np.float64 if s.dtype.kind == "f" else None))
    for s in specs:
        if s.dtype.kind in "iu":
            lo, hi = (0, 2) if s.low is None else (int(s.low), int(s.high))
            result.notes.append(f"{s.name}: {s.dtype.name} in [{lo}, {hi})" +
                                ("" if s.low is not None else f" (set a range: --input {s.name}=...:{s.dtype.name}:0..N)"))
    params = list(network.get_parameters()) if isinstance(network, Cell) else []
    for p in params:
        if p._data.dtype.kind == "f":
            p._data = p._data.astype(np.float64)
    weights = [p for p in params if p.requires_grad] if wrt in ("weights", "all") else []
    if wrt == "weights" and not weights:
        raise S2SGradError("the network has no trainable Parameters, so there are no weight gradients",
                           hint="use --wrt inputs")
    positions = [i for i, a in enumerate(args) if isinstance(a, np.ndarray)] if wrt in ("inputs", "all") else []

    primal = Primal(network, JitOptions(target, cache))
    out = primal(args)
    sens = _like(out, lambda o: rng.standard_normal(o.shape))
    flat_sens = _flatten(sens)

    def objective():
        return sum(float(np.sum(s * o)) for s, o in zip(flat_sens, _flatten(primal(args))))

    grad = GradFunction(network, weights, bool(positions), bool(weights), True, backend=target, cache=cache)
    _, grads = grad(*args, sens if isinstance(sens, tuple) else sens)
    if positions and weights:
        input_grads, weight_grads = grads
    elif positions:
        input_grads, weight_grads = grads, ()
    else:
        input_grads, weight_grads = (), grads

    names = _argument_names(network, len(args))
    for i, g in zip(positions, input_grads):
        row = Row(f"d_{names[i]}", args[i].shape)
        if args[i].dtype.kind != "f":
            row.note = "integer input: not differentiated"
        else:
            def bump(idx, h, i=i):
                args[i].flat[idx] += h
            _compare(row, _flatten(g)[0], args[i], bump, objective, rng, samples, rtol, atol)
        result.rows.append(row)
    for p, g in zip(weights, weight_grads):
        row = Row(f"d_{p.name}", p._data.shape)
        if p._data.dtype.kind != "f":
            row.note = "integer parameter: not differentiated"
        else:
            def bump(idx, h, p=p):
                p._data.flat[idx] += h
            _compare(row, _flatten(g)[0], p._data, bump, objective, rng, samples, rtol, atol)
        result.rows.append(row)
    return result


def _argument_names(network, n):
    import inspect
    from .nn.cell import Cell
    if isinstance(network, Cell):
        names = list(inspect.signature(type(network).construct).parameters)[1:]
    else:
        names = list(inspect.signature(inspect.unwrap(network)).parameters)
    return names + [f"arg{i}" for i in range(len(names), n)]


def _compare(row, analytic, x, bump, objective, rng, samples, rtol, atol):
    """Central differences of the objective at up to `samples` entries of x (changed in place, restored)."""
    size = x.size
    picks = rng.choice(size, size=min(samples, size), replace=False) if size else []
    scale = max(1.0, float(np.max(np.abs(analytic)))) if analytic.size else 1.0
    for idx in picks:
        h = EPS * max(1.0, abs(float(x.flat[idx])))
        bump(idx, h)
        plus = objective()
        bump(idx, -2 * h)
        minus = objective()
        bump(idx, h)
        numeric = (plus - minus) / (2 * h)
        a = float(analytic.flat[idx])
        err = abs(a - numeric)
        big = max(abs(a), abs(numeric))
        row.max_abs = max(row.max_abs, err)
        row.max_rel = max(row.max_rel, err / big if big > atol * scale else 0.0)
        if not err <= atol * scale + rtol * abs(numeric):
            row.ok = False
        row.checked += 1


def format_table(result):
    head = ("gradient", "shape", "checked", "max abs err", "max rel err", "")
    body = []
    for r in result.rows:
        shape = "[" + ", ".join(map(str, r.shape)) + "]"
        if r.note:
            body.append((r.name, shape, "-", "-", "-", r.note))
        else:
            total = int(np.prod(r.shape)) if r.shape else 1
            body.append((r.name, shape, f"{r.checked}/{total}", f"{r.max_abs:.2e}", f"{r.max_rel:.2e}",
                         "ok" if r.ok else "MISMATCH"))
    widths = [max(len(str(row[k])) for row in [head] + body) for k in range(len(head))]
    lines = [f"check of {result.what}: float64 central differences against s2sgrad's gradients"]
    lines += [f"  {n}" for n in result.notes]
    for row in [head] + body:
        lines.append("  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip())
    lines.append("all gradients match" if result.ok else
                 f"{sum(not r.ok for r in result.rows)} gradient(s) do not match finite differences")
    return "\n".join(lines)
