"""One measuring process: runs some implementations of some workloads and writes JSON.

    python tools/bench/worker.py --workloads W1,W3 --impls numba_grad,s2sgrad,jax --out r.json [--quick]

tools/benchmark.py starts one worker per group (the native rows, then one per peer, each
in the interpreter that has the peer). Every worker also runs the hand-written Numba
gradient and s2sgrad, so each ratio in the table is taken inside one process. Per
implementation: build it, run it once (compile; timed as `first_call_s`), check its value
and gradients against the hand-written gradient (the oracle, itself checked against finite
differences in tests/test_benchmark_workloads.py), and only if they match, time it. The implementations of a workload are timed in
interleaved rounds (bench.common.measure_interleaved).
"""
import argparse
import importlib
import json
import os
import platform
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.common import compare, measure_interleaved, to_np   # noqa: E402

MODULES = {"W1": "w1", "W2": "w2", "W3": "w3", "W4": "w4", "W5": "w5", "W6": "w6"}


def _versions():
    out = {"python": platform.python_version(), "executable": sys.executable}
    for name in ("numpy", "numba", "s2sgrad", "jax", "torch", "mindspore", "tangent"):
        mod = sys.modules.get(name)
        if mod is not None:
            out[name] = getattr(mod, "__version__", "?")
    return out


def _error_text(exc):
    """One line: the exception's type and the first line of its message."""
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0] if lines else ''}"[:300]


def prepare_impl(module, key, data, oracle):
    """(row, impl): build the implementation, run it once (compile; `first_call_s`) and
    check it against the oracle. impl is None when it cannot be timed; row says why."""
    factory = getattr(module, f"impl_{key}", None)
    if factory is None:
        return {"status": "no implementation"}, None
    try:
        impl = factory(data)
    except ModuleNotFoundError as exc:
        return {"status": "not installed", "detail": _error_text(exc)}, None
    except Exception as exc:
        return {"status": "error", "detail": _error_text(exc), "traceback": traceback.format_exc()[-3000:]}, None
    row = {"note": impl.note}
    try:
        t = time.perf_counter()
        result = impl.call()
        row["first_call_s"] = time.perf_counter() - t
        if impl.extract is None:   # a primal: its value must match
            bad = compare((result, []), (oracle[0], []), **module.TOL)
        else:
            bad = compare(impl.extract(result), oracle, **module.TOL)
    except Exception as exc:
        return {**row, "status": "error", "detail": _error_text(exc), "traceback": traceback.format_exc()[-3000:]}, None
    if bad:
        return {**row, "status": "mismatch", "detail": bad}, None
    return {**row, "status": "ok"}, impl


def run_workload(name, keys, quick):
    module = importlib.import_module(f"bench.{MODULES[name]}")
    data = module.make_data("full")
    oracle_impl = module.impl_numba_grad(data)
    t = time.perf_counter()
    oracle = oracle_impl.extract(oracle_impl.call())
    rows, timed = {}, {}
    for key in keys:
        if key == "numba_grad":
            rows[key], timed[key] = {"status": "ok", "note": "", "first_call_s": time.perf_counter() - t}, oracle_impl
        else:
            rows[key], impl = prepare_impl(module, key, data, oracle)
            if impl is not None:
                timed[key] = impl
    try:
        for key, stats in measure_interleaved({k: impl.call for k, impl in timed.items()}, quick).items():
            rows[key].update(stats)
    except Exception as exc:
        for key in timed:
            rows[key].update(status="error", detail="while timing: " + _error_text(exc))
    return {"title": module.TITLE, "wrt": module.WRT, "value": float(to_np(oracle[0]).sum()), "rows": rows}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--workloads", required=True)
    parser.add_argument("--impls", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    result = {"workloads": {}}
    for name in args.workloads.split(","):
        try:
            result["workloads"][name] = run_workload(name, args.impls.split(","), args.quick)
        except Exception as exc:
            result["workloads"][name] = {"error": _error_text(exc), "traceback": traceback.format_exc()[-3000:]}
        with open(args.out, "w") as f:       # after each workload: a crash later keeps what was measured
            json.dump({**result, "versions": _versions()}, f, indent=1)


if __name__ == "__main__":
    main()
