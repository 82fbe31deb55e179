"""Peak memory of the W3 gradient (scalar ODE, issue 5): the taped loop and the
checkpointed loop (`s2sgrad.checkpointed`) against the hand-written Numba primal and
gradient, at several step counts.

    python3 tools/memory.py [--steps 10000,1000000,10000000] [--repeat 5]

Each row runs in a fresh process (so no row reuses pages another one freed): the
implementation is compiled with the step count as a runtime value and warmed up at
3,000 steps, the kernel's peak-RSS counter is reset (/proc/self/clear_refs), one
call runs, and "peak extra" is the peak resident set minus the resident set before
that call. The tape a taped gradient needs is
8 bytes x steps x scalars taped per step; the workspace buffers the call leaves
behind (kept for the next call) are part of its peak. Times are medians of --repeat
calls. Linux only.
"""
import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import time

import numba
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from tools.bench import w3  # noqa: E402  (the workload, its primal and hand-written gradient)
import s2sgrad  # noqa: E402
from s2sgrad import Tensor, nn  # noqa: E402

WARM_STEPS = 3000


def status_kib(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def peak_extra_bytes(call):
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")                     # reset VmHWM to the current resident set
    before = status_kib("VmRSS")
    call()
    return (status_kib("VmHWM") - before) * 1024


def taped_loss(x0, a, b, steps):
    x = x0
    for _ in range(steps):
        x = x + 0.001 * (a * x - b * x * x * x)
    return x * x


def checkpointed_loss(every):
    def loss(x0, a, b, steps):
        x = x0
        for _ in s2sgrad.checkpointed(range(steps), every=every):
            x = x + 0.001 * (a * x - b * x * x * x)
        return x * x
    return loss


def s2sgrad_call(fn):
    train = nn.ForwardValueAndGrad(fn, get_all=True)
    point = [Tensor(np.array(v, np.float64)) for v in (0.7, 0.9, 0.4)]

    def call(steps):
        return train(*point, Tensor(np.array(steps, np.int64)))
    return call, train


def implementations(every):
    primal = numba.njit(cache=True)(w3.ode_loss)
    taped, _ = s2sgrad_call(taped_loss)
    ckpt, _ = s2sgrad_call(checkpointed_loss(every))
    return {"primal": ("hand-written Numba primal", lambda n: primal(0.7, 0.9, 0.4, n)),
            "hand": ("hand-written Numba gradient", lambda n: w3.value_and_grad(0.7, 0.9, 0.4, n)),
            "taped": ("s2sgrad, taped loop", taped),
            "checkpointed": (f"s2sgrad, checkpointed(every={every})", ckpt)}


def measure_one(key, steps, every, repeat):
    """In this (fresh) process: warm up, then one measured call and `repeat` timed ones."""
    label, call = implementations(every)[key]
    call(WARM_STEPS)                     # compile (or load from the cache)
    extra = peak_extra_bytes(lambda: call(steps))
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        call(steps)
        times.append(time.perf_counter() - t0)
    print(json.dumps({"label": label, "extra": extra, "time": statistics.median(times)}))


def check_agreement(every):
    """The checkpointed gradient equals the taped one bit for bit; returns scalars taped per step."""
    taped, taped_train = s2sgrad_call(taped_loss)
    ckpt, _ = s2sgrad_call(checkpointed_loss(every))
    a, b = taped(WARM_STEPS), ckpt(WARM_STEPS)
    assert float(a[0].asnumpy()) == float(b[0].asnumpy())
    for ga, gb in zip(a[1], b[1]):
        np.testing.assert_array_equal(ga.asnumpy(), gb.asnumpy())
    return len(taped_train._grad.last.workspace)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", default="10000,1000000,10000000")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--one", help=argparse.SUPPRESS)      # internal: measure one row in this process
    opts = parser.parse_args()
    step_counts = [int(s) for s in opts.steps.split(",")]
    every = math.isqrt(max(step_counts))
    if opts.one:
        measure_one(opts.one, step_counts[0], every, opts.repeat)
        return
    taped_scalars = check_agreement(every)
    print(f"W3 gradient memory; s2sgrad's taped loop tapes {taped_scalars} scalar(s) per step; "
          "one fresh process per row")
    header = f"{'implementation':<36}{'steps':>12}{'peak extra':>14}{'tape 8*steps*k':>16}{'median time':>14}"
    print(header)
    print("-" * len(header))
    for n in step_counts:
        for key in ("primal", "hand", "taped", "checkpointed"):
            out = subprocess.run([sys.executable, __file__, "--one", key, "--steps", f"{n},{max(step_counts)}",
                                  "--repeat", str(opts.repeat)], capture_output=True, text=True, check=True)
            row = json.loads(out.stdout.strip().splitlines()[-1])
            print(f"{row['label']:<36}{n:>12,}{row['extra'] / 2**20:>11.2f} MiB"
                  f"{8 * n * taped_scalars / 2**20:>12.2f} MiB{row['time'] * 1e3:>11.2f} ms")
        print()


if __name__ == "__main__":
    main()
