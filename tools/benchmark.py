"""Benchmark s2sgrad against hand-written Numba (the physical limit) and its peers.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python tools/benchmark.py [--quick] [--only W1,W3]
        [--json benchmark.json] [--png benchmark.png] [--threads 1] [--no-startup]

Prints a table of medians and ratios, writes it as JSON and as a PNG bar chart (the PNG
needs matplotlib: `pip install -e ".[bench]"`). Workloads live in tools/bench/ (w1.py ...
w6.py). Every group of rows is measured in one process: the native group (s2sgrad, the
hand-written Numba gradient and primal) in this interpreter, and each peer in a process of
an interpreter that has it, which re-runs s2sgrad and the hand-written gradient too, so
every ratio is taken inside one process. Peer interpreters: $S2SGRAD_BENCH_<PEER>_PYTHON
(PEER = JAX, TORCH, TANGENT, MINDSPORE), else the first of this interpreter,
/tmp/benchvenv/bin/python and /tmp/msvenv/bin/python that imports the peer, s2sgrad and
numba. Before an implementation is timed its value and gradients must match the
hand-written gradient; a mismatch is shown in the table instead of a time.
"""
import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from bench import startup                      # noqa: E402
from bench.common import LABELS                # noqa: E402
from bench.worker import MODULES               # noqa: E402

WORKER = os.path.join(HERE, "bench", "worker.py")
CANDIDATES = [sys.executable, "/tmp/benchvenv/bin/python", "/tmp/msvenv/bin/python"]

# group -> (implementation keys it runs, module a peer interpreter must import, env var naming it)
# A VARIANT is a second form of a peer that only some workloads have: its rows appear only there.
VARIANTS = {"torch_loop"}
GROUPS = {
    "native": (["numba_grad", "s2sgrad", "numba_primal"], None, None),
    "jax": (["numba_grad", "s2sgrad", "jax"], "jax", "S2SGRAD_BENCH_JAX_PYTHON"),
    "torch": (["numba_grad", "s2sgrad", "torch"], "torch", "S2SGRAD_BENCH_TORCH_PYTHON"),
    "torch_loop": (["numba_grad", "s2sgrad", "torch_loop"], "torch", "S2SGRAD_BENCH_TORCH_PYTHON"),
    "tangent": (["numba_grad", "s2sgrad", "tangent"], "tangent", "S2SGRAD_BENCH_TANGENT_PYTHON"),
    "mindspore_pynative": (["numba_grad", "s2sgrad", "mindspore_pynative"], "mindspore",
                           "S2SGRAD_BENCH_MINDSPORE_PYTHON"),
    "mindspore_graph": (["numba_grad", "s2sgrad", "mindspore_graph"], "mindspore", "S2SGRAD_BENCH_MINDSPORE_PYTHON"),
}


def thread_env(threads):
    """Environment for the measuring processes: `threads` > 0 pins every library's pool."""
    env = dict(os.environ)
    if threads > 0:
        n = str(threads)
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
            env[var] = n
        if threads == 1:      # XLA's CPU client has no thread-count flag; one thread is eigen off
            env["XLA_FLAGS"] = (env.get("XLA_FLAGS", "") + " --xla_cpu_multi_thread_eigen=false").strip()
    return env


_probe_cache = {}


def _probe(python):
    """Which of the modules we care about `python` can import (without importing them)."""
    if python not in _probe_cache:
        code = ("import importlib.util as u, json; print(json.dumps({m: u.find_spec(m) is not None for m in "
                "['s2sgrad', 'numba', 'jax', 'torch', 'tangent', 'mindspore']}))")
        try:
            out = subprocess.run([python, "-c", code], capture_output=True, text=True, timeout=60)
            _probe_cache[python] = json.loads(out.stdout.strip().splitlines()[-1])
        except (OSError, ValueError, IndexError, subprocess.TimeoutExpired):
            _probe_cache[python] = {}
    return _probe_cache[python]


def find_python(module, env_var):
    """(interpreter, None) for the peer, or (None, why not)."""
    chosen = os.environ.get(env_var)
    for python in ([chosen] if chosen else CANDIDATES):
        if not os.path.exists(python):
            continue
        found = _probe(python)
        if found.get(module):
            if found.get("s2sgrad") and found.get("numba"):
                return python, None
            return None, f"{module} found in {python}, but s2sgrad/numba are not installed there"
    return None, "not installed" + (f" ({env_var}={chosen})" if chosen else "")


def _has_impl(workload, key):
    import importlib
    return hasattr(importlib.import_module(f"bench.{MODULES[workload]}"), f"impl_{key}")


def run_group(name, python, keys, workloads, args, env):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "result.json")
        cmd = [python, WORKER, "--workloads", ",".join(workloads), "--impls", ",".join(keys), "--out", out]
        if args.quick:
            cmd.append("--quick")
        print(f"[{name}] {python}", flush=True)
        t = time.perf_counter()
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
        result = json.load(open(out)) if os.path.exists(out) else {"workloads": {}}
        result["wall_s"] = time.perf_counter() - t
        if proc.returncode != 0:
            result["crash"] = (proc.stderr or proc.stdout)[-2000:]
            print(f"[{name}] worker exited with {proc.returncode}: {result['crash'][-300:]}", flush=True)
        return result


def collect(args):
    workloads = [w.strip().upper() for w in args.only.split(",")] if args.only else list(MODULES)
    env = thread_env(args.threads)
    report = {"command": " ".join([os.path.basename(sys.executable)] + sys.argv), "uptime": startup.load(),
              "machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "threads": args.threads},
              "groups": {}, "workloads": workloads}
    for name, (keys, module, env_var) in GROUPS.items():
        if module is None:
            python, why = sys.executable, None
        else:
            python, why = find_python(module, env_var)
        if python is None:
            report["groups"][name] = {"unavailable": why}
            print(f"[{name}] {why}", flush=True)
            continue
        mine = workloads if module is None else [w for w in workloads if _has_impl(w, keys[-1])]
        if not mine:
            report["groups"][name] = {"python": python, "workloads": {}}
            continue
        report["groups"][name] = {"python": python, **run_group(name, python, keys, mine, args, env)}
    if not args.no_startup:
        print("[start-up and memory]", flush=True)
        report["startup"] = startup.run_all(workloads, env)
    report["uptime_after"] = startup.load()
    return report


# -- the table ---------------------------------------------------------------------------------------

def _fmt_time(s):
    if s is None:
        return ""
    if s < 1e-3:
        return f"{s * 1e6:.1f} us"
    if s < 1:
        return f"{s * 1e3:.2f} ms"
    return f"{s:.2f} s"


def _ratio(a, b):
    return f"{a / b:.2f}x" if a and b else ""


def table_rows(report):
    """(workload, label, group, median, ratio to hand-written grad, ratio to primal, s2sgrad / this, status)."""
    rows = []
    for w in report["workloads"]:
        for gname, group in report["groups"].items():
            variant_missing = gname in VARIANTS and w in MODULES and not _has_impl(w, GROUPS[gname][0][-1])
            if "unavailable" in group:
                if gname != "native" and w in MODULES and not variant_missing:
                    key = GROUPS[gname][0][-1]
                    rows.append(dict(workload=w, label=LABELS[key], group=gname, status=group["unavailable"]))
                continue
            res = group.get("workloads", {}).get(w)
            if variant_missing:
                continue
            if res is None and gname != "native" and not _has_impl(w, GROUPS[gname][0][-1]):
                rows.append(dict(workload=w, label=LABELS[GROUPS[gname][0][-1]], group=gname,
                                 status="no implementation in tools/bench"))
                continue
            if res is None or "error" in res:
                detail = res["error"] if res else group.get("crash", "no result")[-200:]
                rows.append(dict(workload=w, label=f"[{gname}]", group=gname, status="worker error: " + detail))
                continue
            r = res["rows"]
            hand = r.get("numba_grad", {}).get("median_s")
            primal = report["groups"]["native"].get("workloads", {}).get(w, {}).get("rows", {}).get(
                "numba_primal", {}).get("median_s") if gname == "native" else None
            s2s = r.get("s2sgrad", {}).get("median_s")
            keys = GROUPS[gname][0] if gname == "native" else GROUPS[gname][0][-1:]
            for key in keys:
                row = r.get(key, {})
                t = row.get("median_s")
                status = row.get("status", "missing")
                if status != "ok":
                    status += ": " + row.get("detail", "") if row.get("detail") else ""
                rows.append(dict(workload=w, label=LABELS[key] + (f" ({row['note']})" if row.get("note") else ""),
                                 group=gname, key=key, median_s=t, first_call_s=row.get("first_call_s"),
                                 vs_hand=_ratio(t, hand), vs_primal=_ratio(t, primal) if key != "numba_primal" else "",
                                 s2s_vs=_ratio(s2s, t) if key not in ("s2sgrad", "numba_grad", "numba_primal") else "",
                                 s2s_here=s2s if gname != "native" else None, status=status))
    return rows


def print_table(report):
    rows = table_rows(report)
    titles = {}
    for g in report["groups"].values():
        for w, res in g.get("workloads", {}).items():
            titles.setdefault(w, res.get("title", w))
    head = (f"{'implementation':52} {'median':>10} {'/hand grad':>10} {'/primal':>8} {'s2s/this':>9} "
            f"{'s2s here':>10} {'1st call':>10}  status")
    print("\nMedians per call (forward + backward unless marked primal); ratios taken inside one process.")
    print("/hand grad: this / hand-written Numba gradient; /primal: this / hand-written Numba primal;")
    print("s2s/this: s2sgrad / this peer, both measured in the peer's process (s2s here).")
    print("1st call: the first call in its process (compiles, or loads a compiled program from the disk cache).")
    last = None
    for r in rows:
        if r["workload"] != last:
            last = r["workload"]
            print(f"\n{titles.get(last, last)}\n{head}")
        print(f"{r['label'][:52]:52} {_fmt_time(r.get('median_s')):>10} {r.get('vs_hand', ''):>10} "
              f"{r.get('vs_primal', ''):>8} {r.get('s2s_vs', ''):>9} {_fmt_time(r.get('s2s_here')):>10} "
              f"{_fmt_time(r.get('first_call_s')):>10}  "
              f"{r['status'] if r['status'] != 'ok' else ''}")
    if "startup" in report:
        print("\nStart-up and memory")
        width = max(len(r["what"]) for r in report["startup"])
        for r in report["startup"]:
            value = _fmt_time(r["seconds"]) if "seconds" in r else r.get("value", "")
            print(f"{r['what']:{width}} {value:>12}  {r.get('detail', '')}")
    print(f"\nload before: {report['uptime']}\nload after:  {report['uptime_after']}")


def write_png(report, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print(f"matplotlib is not installed, so no {path}: pip install -e \".[bench]\"")
        return
    rows = [r for r in table_rows(report) if r.get("median_s") and r.get("vs_hand")]
    if not rows:
        return
    fig, ax = plt.subplots(figsize=(10, 0.32 * len(rows) + 1.5))
    labels = [f"{r['workload']} {r['label'][:45]}" for r in rows]
    values = [float(r["vs_hand"][:-1]) for r in rows]
    colours = ["tab:green" if r["key"] == "s2sgrad" else "tab:grey" if r["key"].startswith("numba") else "tab:blue"
               for r in rows]
    ax.barh(range(len(rows)), values, color=colours)
    ax.set_yticks(range(len(rows)), labels, fontsize=7)
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.axvline(1.0, color="black", lw=0.8)
    ax.set_xlabel("median time / hand-written Numba gradient, same process (log scale; lower is faster)")
    ax.set_title("s2sgrad benchmark (green: s2sgrad, grey: hand-written Numba, blue: peers)", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    print(f"wrote {path}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer, shorter repeats (a smoke run)")
    parser.add_argument("--only", help="comma-separated workloads, e.g. W1,W3")
    parser.add_argument("--json", default="benchmark.json", help="write the results here")
    parser.add_argument("--png", default="benchmark.png", help="write the bar chart here")
    parser.add_argument("--threads", type=int, default=1,
                        help="threads per library in every measuring process (0: each library's default)")
    parser.add_argument("--no-startup", action="store_true", help="skip the start-up and memory rows")
    parser.add_argument("--from-json", metavar="FILE", help="measure nothing: print (and plot) a saved result")
    args = parser.parse_args()
    if args.from_json:
        report = json.load(open(args.from_json))
        print_table(report)
        if args.png:
            write_png(report, args.png)
        return
    report = collect(args)
    report["table"] = table_rows(report)
    print_table(report)
    with open(args.json, "w") as f:
        json.dump(report, f, indent=1)
    print(f"wrote {args.json}")
    if args.png:
        write_png(report, args.png)


if __name__ == "__main__":
    main()
