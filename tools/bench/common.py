"""What every workload module shares: the Impl record, adaptive timing and the
gradient comparison that gates timing.

A workload module defines `make_data(size)` ("full" for the benchmark, "tiny" for the
tests) and one factory per implementation, `impl_<key>(data)`, returning an Impl.
Factories import their framework inside the function, so a module imports with only
NumPy, Numba and s2sgrad installed.
"""
import time
from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np

# Implementation keys, in table order, with their row labels.
LABELS = {
    "numba_grad": "hand-written Numba gradient",
    "s2sgrad": "s2sgrad ForwardValueAndGrad",
    "numba_primal": "hand-written Numba primal",
    "jax": "JAX jit",
    "torch": "PyTorch eager",
    "torch_loop": "PyTorch eager",
    "tangent": "tangent-ad",
    "mindspore_pynative": "MindSpore PYNATIVE",
    "mindspore_graph": "MindSpore GRAPH_MODE",
}


@dataclass
class Impl:
    """One implementation of a workload.

    call:    the zero-argument callable that is timed (one forward + backward, or one
             primal evaluation); it must finish its work before returning (JAX: block).
    extract: result of call -> (loss value, [gradient arrays in the workload's order]);
             None for a primal.
    note:    shown in the table next to the label (e.g. "vectorised").
    """
    call: Callable
    extract: Optional[Callable] = None
    note: str = ""
    info: dict = field(default_factory=dict)


def hand_written(primal, value_and_grad, args_of):
    """A module's impl_numba_primal and impl_numba_grad: its hand-written Numba primal and
    gradient (returning (loss, *grads)) called on args_of(data)."""
    def impl_numba_primal(data):
        args = args_of(data)
        return Impl(lambda: primal(*args))

    def impl_numba_grad(data):
        args = args_of(data)
        return Impl(lambda: value_and_grad(*args), lambda r: (r[0], list(r[1:])))
    return impl_numba_primal, impl_numba_grad


def to_np(x):
    """A framework array (s2sgrad/MindSpore Tensor, torch tensor, jax array) as float64 NumPy."""
    if hasattr(x, "asnumpy"):
        x = x.asnumpy()
    elif hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    return np.asarray(x, dtype=np.float64)


def compare(got, want, rtol, atol):
    """None when `got` matches `want` (value and every gradient), else a short reason."""
    (gv, gg), (wv, wg) = got, want
    if len(gg) != len(wg):
        return f"{len(gg)} gradients, expected {len(wg)}"
    pairs = [("value", to_np(gv), to_np(wv))] + [(f"grad {i}", to_np(g), to_np(w))
                                                  for i, (g, w) in enumerate(zip(gg, wg))]
    for what, g, w in pairs:
        if g.shape != w.shape:
            return f"{what}: shape {g.shape}, expected {w.shape}"
        if not np.allclose(g, w, rtol=rtol, atol=atol * max(1.0, float(np.max(np.abs(w), initial=0.0)))):
            err = float(np.max(np.abs(g - w)))
            return f"{what}: max abs err {err:.3g}"
    return None


def calibrate(fn, quick=False):
    """Calls per timed batch so that one batch lasts >= the target (timer resolution and
    call jitter vanish), from the fastest of up to three warm calls; and that call's time."""
    target = 0.005 if quick else 0.05
    one = float("inf")
    for _ in range(3):
        t = time.perf_counter()
        fn()
        one = min(one, max(time.perf_counter() - t, 1e-9))
        if one > 0.5:
            break
    return max(1, int(target / one)), one


def measure_interleaved(fns, quick=False):
    """Median seconds per call of each fn (a dict name -> fn), warm-up excluded.

    The implementations are timed in rounds, one batch of each per round, so a burst of
    load from elsewhere on the machine hits every row of the round alike and the ratios
    stay meaningful. The round count adapts to the cost: at least 3 (1 for a round over
    2 s in --quick), at most 15 (5 in --quick), within a time budget."""
    budget, max_rep = (0.5, 5) if quick else (4.0, 15)
    plan = {name: calibrate(fn, quick) for name, fn in fns.items()}
    round_s = sum(number * one for number, one in plan.values())
    min_rep = 1 if quick and round_s > 2.0 else 3
    rounds = int(min(max_rep, max(min_rep, budget / round_s)))
    times = {name: [] for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            number = plan[name][0]
            t = time.perf_counter()
            for _ in range(number):
                fn()
            times[name].append((time.perf_counter() - t) / number)
    return {name: {"median_s": float(np.median(ts)), "min_s": float(np.min(ts)), "repeat": rounds,
                   "number": plan[name][0]} for name, ts in times.items()}


def print_forms(times, baseline="hand-written"):
    """The table of a forms script (w4_forms.py, w3_w5_forms.py): each form's median and its
    ratio to the baseline row, all from one measure_interleaved."""
    base = times[baseline]["median_s"]
    print(f"{'form':<18}{'median':>12}{'/ ' + baseline:>18}")
    for name, t in times.items():
        print(f"{name:<18}{t['median_s'] * 1e3:>9.3f} ms{t['median_s'] / base:>17.2f}x")
