"""Start-up and memory rows. Each measurement runs in a fresh process of this interpreter
(`python tools/bench/startup.py <probe>` prints one JSON line), so imports, caches and
allocator state are those a user meets. Start-up rows give the median of several processes
and their range.

Probes:
  w1-first-call   import s2sgrad, build the reference example, first call (cold or warm
                  depending on the S2SGRAD_CACHE_DIR / NUMBA_CACHE_DIR it is given)
  w1-hand-first-call  import numba, first call of W1's hand-written gradient: what Numba
                  alone costs a new process, the floor under a warm start
  transpile-W2    the pipeline up to a loaded module, the cpu target's fused text included,
                  on a target that binds nothing: no Numba
  transpile-W5
  memory-W3       the W3 gradient's tape (s2sgrad's workspace arrays after a call: none) and
                  the peak-RSS growth of one call, gradient vs primal vs hand-written gradient;
                  the same for a loop that tapes (three competing species, w3.species_loss),
                  and for that loop written with s2sgrad.checkpointed
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

T0 = time.perf_counter()
HERE = os.path.dirname(os.path.abspath(__file__))


def load():
    """`uptime`'s load averages."""
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    except OSError:
        return " ".join(open("/proc/loadavg").read().split()[:3])


# -- probes (run in the child) --------------------------------------------------------------------

def probe_w1_first_call():
    import s2sgrad  # noqa: F401
    t_import = time.perf_counter()
    sys.path.insert(0, os.path.dirname(HERE))
    from bench import w1
    impl = w1.impl_s2sgrad(w1.make_data())
    impl.call()
    t_call = time.perf_counter()
    return {"import_s": t_import - T0, "first_call_s": t_call - t_import, "total_s": t_call - T0}


def probe_w1_hand_first_call():
    """The floor under the warm start: Numba alone, no s2sgrad. Imports numpy and numba,
    then makes the first call of W1's hand-written @njit(cache=True) gradient."""
    import numba  # noqa: F401
    import numpy as np
    t_import = time.perf_counter()
    sys.path.insert(0, os.path.dirname(HERE))
    from bench import w1
    data = w1.make_data()
    w1.value_and_grad(*(np.asarray(data[k]) for k in ("x", "labels", "w")))
    t_call = time.perf_counter()
    return {"import_s": t_import - T0, "first_call_s": t_call - t_import, "total_s": t_call - T0}


def _grad_function(train):
    grad = getattr(train, "_grad", None)
    if grad is None or not hasattr(grad, "_build"):
        raise RuntimeError("s2sgrad's GradFunction no longer has _build(arrays); update tools/bench/startup.py")
    return grad


def probe_transpile(name):
    """Seconds to transpile (parse .. codegen, the cpu target's fused text included) and load
    the module, without Numba: a target that takes the cpu target's text and binds nothing."""
    import numpy as np
    sys.path.insert(0, os.path.dirname(HERE))
    from bench import w2, w5
    from s2sgrad import compile as compile_stage
    compile_stage.register_backend("cpu-text", lambda module, source, cache: None, fuse=True)
    module = {"W2": w2, "W5": w5}[name]
    impl = module.impl_s2sgrad(module.make_data())
    grad = _grad_function(impl.info["train"])
    grad.backend = "cpu-text"
    arrays = [a._data if hasattr(a, "_data") else a for a in impl.info["args"]]
    times = []
    for _ in range(4):
        t = time.perf_counter()
        entry = grad._build(arrays)
        times.append(time.perf_counter() - t)
    return {"first_s": times[0], "again_s": float(np.median(times[1:])),
            "source_lines": len(entry.source.splitlines())}


def _rss_peak_growth(fn):
    """Peak RSS growth (bytes) during fn(): free heap memory goes back to the kernel first
    (malloc_trim) and the kernel's high-water mark is reset (/proc/self/clear_refs 5), so
    every page an allocation touches counts, Numba's and NumPy's alike."""
    import ctypes
    import gc
    gc.collect()
    ctypes.CDLL("libc.so.6").malloc_trim(0)

    def status(field):
        for line in open("/proc/self/status"):
            if line.startswith(field):
                return int(line.split()[1]) * 1024
        raise RuntimeError(field)
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    before = status("VmRSS:")
    fn()
    return status("VmHWM:") - before


def _median_time(fn, repeat=5):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return sorted(times)[repeat // 2]


def probe_memory_w3():
    import numpy as np
    sys.path.insert(0, os.path.dirname(HERE))
    from bench import w3
    out = {}
    for steps in (w3.STEPS, 1_000_000, 10_000_000):
        data = {**w3.make_data(), "steps": steps}
        impls = {"s2sgrad": w3.impl_s2sgrad(data), "species": w3.s2sgrad_species(data),
                 "checkpointed": w3.s2sgrad_checkpointed_species(data),
                 "primal": w3.impl_numba_primal(data), "hand": w3.impl_numba_grad(data)}
        for impl in impls.values():
            impl.call()
            impl.call()
        grads = {k: impls[k].extract(impls[k].call())[1] for k in ("species", "checkpointed")}
        for a, b in zip(grads["species"], grads["checkpointed"]):
            np.testing.assert_array_equal(a.asnumpy(), b.asnumpy())   # recomputation changes no bit

        def workspace_bytes(key):
            entry = impls[key].info["train"]._grad.last
            return int(sum(a.nbytes for a in entry.workspace if isinstance(a, np.ndarray)))
        out[steps] = {**{f"{k}_tape_bytes": workspace_bytes(k) for k in ("s2sgrad", "species", "checkpointed")},
                      **{f"rss_{k}_bytes": max(_rss_peak_growth(v.call) for _ in range(3)) for k, v in impls.items()},
                      **{f"time_{k}_s": _median_time(v.call) for k, v in impls.items()}}
    return out


# -- the parent side -------------------------------------------------------------------------------

def _run_probe(probe, env):
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, os.path.abspath(__file__), probe], env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        raise RuntimeError((proc.stderr or proc.stdout).strip().splitlines()[-1][:300])
    return json.loads(proc.stdout.strip().splitlines()[-1]), wall


RUNS = 5            # new processes per start-up row: this machine's speed varies by half from one to the next
COLD_RUNS = 3       # each cold run compiles W1 afresh (seconds)


def _probe_median(probe, envs, key="total_s"):
    """The probe run once per environment: each field's median over the runs, and `key`'s
    range as `<key>_min` and `<key>_max`."""
    results = [_run_probe(probe, e)[0] for e in envs]
    out = {k: (statistics.median(r[k] for r in results) if isinstance(results[0][k], (int, float)) else results[0][k])
           for k in results[0]}
    out.update({f"{key}_min": min(r[key] for r in results), f"{key}_max": max(r[key] for r in results),
                "runs": len(results)})
    return out


def _spread(r, key="total_s"):
    scale, unit = (1e3, "ms") if r[key] < 1 else (1, "s")
    return f"{r[key + '_min'] * scale:.{0 if unit == 'ms' else 2}f}-{r[key + '_max'] * scale:.{0 if unit == 'ms' else 2}f} {unit}"


def _mb(n):
    return f"{n / 2**20:.2f} MiB" if abs(n) >= 2**20 else f"{n / 1024:.1f} KiB"


def current_bytecode(env):
    """Brings the .pyc files of s2sgrad and of these probes up to date, as `pip install`
    leaves them, so no probe times Python compiling changed sources to bytecode (with
    PYTHONDONTWRITEBYTECODE set, a stale .pyc is recompiled in every process: 20-35 ms)."""
    import s2sgrad
    from s2sgrad import templates    # the adjoint templates, read on a program's first transpile
    folders = [os.path.dirname(s2sgrad.__file__), os.path.dirname(templates.__file__), HERE]
    subprocess.run([sys.executable, "-m", "compileall", "-q", *folders], env=env, capture_output=True, check=True)


def run_all(workloads, env):
    rows = []
    current_bytecode(env)

    def attempt(what, fn):
        try:
            fn()
        except Exception as exc:
            rows.append({"what": what, "value": "error", "detail": f"{type(exc).__name__}: {exc}"[:300]})

    if "W1" in workloads:
        def w1_rows():
            with tempfile.TemporaryDirectory() as tmp:
                def cache_env(run):
                    return {**env, "S2SGRAD_CACHE_DIR": os.path.join(tmp, f"s2s{run}"),
                            "NUMBA_CACHE_DIR": os.path.join(tmp, f"nb{run}")}
                # cold: each run with caches of its own, empty; warm: new processes on the first run's
                cold = _probe_median("w1-first-call", [cache_env(run) for run in range(COLD_RUNS)])
                warm = _probe_median("w1-first-call", [cache_env(0)] * RUNS)
                _run_probe("w1-hand-first-call", cache_env(0))          # fills Numba's cache
                hand = _probe_median("w1-hand-first-call", [cache_env(0)] * RUNS)
            for label, r in (("cold (empty S2SGRAD_CACHE_DIR and NUMBA_CACHE_DIR)", cold),
                             ("warm cache, new process", warm)):
                rows.append({"what": f"W1 {label}: import s2sgrad + first call", "seconds": r["total_s"],
                             "detail": f"median of {r['runs']} processes ({_spread(r)}): import {r['import_s']:.2f} s, "
                                       f"first call {r['first_call_s']:.2f} s", **r})
            rows.append({"what": "W1 hand-written Numba gradient, warm cache, new process: import numba + first call",
                         "seconds": hand["total_s"],
                         "detail": f"median of {hand['runs']} processes ({_spread(hand)}): import numpy and numba "
                                   f"{hand['import_s']:.2f} s, first call {hand['first_call_s']:.2f} s", **hand})
        attempt("W1 first call", w1_rows)
    for name in ("W2", "W5"):
        if name in workloads:
            def transpile(name=name):
                r = _probe_median(f"transpile-{name}", [env] * RUNS, "first_s")
                rows.append({"what": f"{name} transpile only (parse..codegen with the cpu text, no Numba)",
                             "seconds": r["first_s"],
                             "detail": f"first in a new process, median of {r['runs']} ({_spread(r, 'first_s')}); "
                                       f"again {r['again_s'] * 1e3:.0f} ms; {r['source_lines']} generated lines", **r})
            attempt(f"{name} transpile", transpile)
    if "W3" in workloads:
        def memory():
            r, _ = _run_probe("memory-W3", env)
            for steps, m in r.items():
                what = f"W3 memory, {int(steps):,} steps"
                rows.append({"what": f"{what}: s2sgrad, kept between calls and peak RSS growth of one warm call",
                             "value": _mb(m["s2sgrad_tape_bytes"] + m["rss_s2sgrad_bytes"]),
                             "detail": f"tape {_mb(m['s2sgrad_tape_bytes'])} (the loop's partials multiply up in "
                                       f"the forward) + growth {_mb(m['rss_s2sgrad_bytes'])}; hand-written grad "
                                       f"{_mb(m['rss_hand_bytes'])} (its xs array); primal {_mb(m['rss_primal_bytes'])}",
                             **m})
                rows.append({"what": f"{what}: three competing species (3 carried scalars), taped",
                             "value": _mb(m["species_tape_bytes"] + m["rss_species_bytes"]),
                             "detail": f"tape {_mb(m['species_tape_bytes'])} "
                                       f"({m['species_tape_bytes'] / int(steps):.0f} bytes/step, kept in its workspace "
                                       f"and reused by later calls) + growth {_mb(m['rss_species_bytes'])}; one call "
                                       f"{m['time_species_s'] * 1e3:.2f} ms"})
                rows.append({"what": f"{what}: three competing species, s2sgrad.checkpointed loop",
                             "value": _mb(m["checkpointed_tape_bytes"] + m["rss_checkpointed_bytes"]),
                             "detail": f"saved segment starts {_mb(m['checkpointed_tape_bytes'])} kept in its "
                                       f"workspace + peak RSS growth {_mb(m['rss_checkpointed_bytes'])} (one "
                                       f"segment's tape); same gradient bit for bit; one call "
                                       f"{m['time_checkpointed_s'] * 1e3:.2f} ms vs taped "
                                       f"{m['time_species_s'] * 1e3:.2f} ms (W3 "
                                       f"{m['time_s2sgrad_s'] * 1e3:.2f} ms, hand-written {m['time_hand_s'] * 1e3:.2f} ms)"})
        attempt("W3 memory", memory)
    return rows


def main():
    probe = sys.argv[1]
    if probe == "w1-first-call":
        result = probe_w1_first_call()
    elif probe == "w1-hand-first-call":
        result = probe_w1_hand_first_call()
    elif probe.startswith("transpile-"):
        result = probe_transpile(probe.split("-", 1)[1])
    elif probe == "memory-W3":
        result = probe_memory_w3()
    else:
        raise SystemExit(f"unknown probe {probe}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
