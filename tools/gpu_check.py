"""One prepared check for a machine with an NVIDIA GPU (no package index needed).

    bash tools/gpu_check.sh            # or: python3 tools/gpu_check.py [--full] [--skip-tests] [--repeat 20]

1. Makes gast and astor importable: `pip install --no-index --find-links wheels/` from a
   `wheels/` folder beside the checkout (or inside it; tools/fetch_wheels.sh fills it on a
   machine with an index); if pip cannot, the wheels are unzipped into a temporary folder
   that goes on sys.path and PYTHONPATH (both are pure Python).
2. Runs tests/test_cuda_sim.py on the real GPU (S2SGRAD_TEST_REAL_GPU=1, no simulator):
   by default the primitives, the MLP, fusion and the array-level corpus programs named
   ar_* / ce_*; `--full` runs the whole file (every corpus program: each compiles its
   own kernels, which takes longer).
3. Times one training step's forward+backward (get_by_list) of the MLP 784-1024-1024-10,
   batch 1024, float32, sparse softmax cross-entropy (mean) against PyTorch CUDA and
   JAX jit on the GPU, and prints a table (median ms, after warm-up; each step waits
   for the device to finish). Peers that do not import show "not installed".
"""
import argparse
import glob
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


def wheel_dirs():
    return [d for d in (os.path.join(ROOT, "wheels"), os.path.join(os.path.dirname(ROOT), "wheels"))
            if os.path.isdir(d)]


def ensure_pure_python_deps():
    """gast and astor from wheels/ when they are not installed; returns extra sys.path entries."""
    missing = []
    for mod in ("gast", "astor"):
        try:
            __import__(mod)
        except ImportError:
            missing.append(mod)
    if not missing:
        return []
    extra = []
    for d in wheel_dirs():
        cmd = [sys.executable, "-m", "pip", "install", "--no-index", "--find-links", d] + missing
        if subprocess.run(cmd).returncode == 0:
            return []
        import tempfile
        import zipfile
        unpacked = tempfile.mkdtemp(prefix="s2sgrad-wheels-")   # pure Python: unzipping installs them
        for mod in missing:                                       # (astor reads a data file: no zip import)
            for wheel in sorted(glob.glob(os.path.join(d, f"{mod}-*.whl")))[-1:]:
                zipfile.ZipFile(wheel).extractall(unpacked)
        extra = [unpacked]
        break
    sys.path[:0] = extra
    for mod in missing:
        __import__(mod)                        # fail here, clearly, if still missing
    return extra


def run_tests(full, extra_path):
    env = dict(os.environ, S2SGRAD_TEST_REAL_GPU="1")
    env.pop("NUMBA_ENABLE_CUDASIM", None)
    env["PYTHONPATH"] = os.pathsep.join([ROOT] + extra_path + [env.get("PYTHONPATH", "")])
    cmd = [sys.executable, "-m", "pytest", "tests/test_cuda_sim.py", "-q", "-x", "-p", "no:cacheprovider"]
    if not full:
        cmd += ["-k", "primitive or mlp or relu_dense or refused or ar_ or ce_"]
    print("$", " ".join(cmd), flush=True)
    return subprocess.run(cmd, cwd=ROOT, env=env).returncode


def median_ms(step, sync, repeat):
    for _ in range(3):
        step()
    sync()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        step()
        sync()
        times.append((time.perf_counter() - t) * 1e3)
    times.sort()
    return times[len(times) // 2]


def mlp_data(batch=1024, sizes=(784, 1024, 1024, 10), seed=0):
    import numpy as np
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, sizes[0])).astype(np.float32)
    y = rng.integers(0, sizes[-1], batch).astype(np.int32)
    ws = [(rng.standard_normal((o, i)) / np.sqrt(i)).astype(np.float32) for i, o in zip(sizes[:-1], sizes[1:])]
    bs = [np.zeros(o, np.float32) for o in sizes[1:]]
    return x, y, ws, bs


def bench_s2sgrad(repeat):
    import numpy as np
    from numba import cuda
    import s2sgrad as ms
    from s2sgrad import nn, Tensor, ParameterTuple
    import s2sgrad.cuda as sc
    from s2sgrad.grad import GradFunction
    x, y, ws, bs = mlp_data()

    class MLP(nn.Cell):
        def __init__(self):
            super().__init__()
            self.l1, self.l2, self.l3 = nn.Dense(784, 1024), nn.Dense(1024, 1024), nn.Dense(1024, 10)
            self.relu = nn.ReLU()

        def construct(self, x):
            return self.l3(self.relu(self.l2(self.relu(self.l1(x)))))

    net = MLP()
    for layer, w, b in zip((net.l1, net.l2, net.l3), ws, bs):
        layer.weight.set_data(w)
        layer.bias.set_data(b)
    loss_net = nn.WithLossCell(net, nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean"))
    weights = ParameterTuple(loss_net.trainable_params())
    step = GradFunction(loss_net, weights, False, True, False, backend="cuda")
    xt, yt = Tensor(x), Tensor(y)
    loss, _ = step(xt, yt)
    cpu = GradFunction(loss_net, weights, False, True, False, backend="python")   # same source, NumPy
    sc.reset_transfer_stats()
    ms_time = median_ms(lambda: step(xt, yt), cuda.synchronize, repeat)
    stats = sc.transfer_stats()
    copies = stats["to_device"] + stats["to_host"]
    for p in weights:                              # the reference reads host copies: made here, outside timing
        p.asnumpy()
    ref_loss, _ = cpu(Tensor(x), Tensor(y))
    return ms_time, float(loss.asnumpy()), float(np.asarray(ref_loss.asnumpy())), copies


def bench_torch(repeat):
    import torch
    x, y, ws, bs = mlp_data()
    dev = torch.device("cuda")
    tx, ty = torch.tensor(x, device=dev), torch.tensor(y, device=dev).long()
    params = [torch.tensor(a, device=dev, requires_grad=True) for pair in zip(ws, bs) for a in pair]

    def step():
        h = tx
        for i in range(3):
            h = torch.nn.functional.linear(h, params[2 * i], params[2 * i + 1])
            if i < 2:
                h = torch.relu(h)
        loss = torch.nn.functional.cross_entropy(h, ty)
        return torch.autograd.grad(loss, params)
    return median_ms(step, torch.cuda.synchronize, repeat)


def bench_jax(repeat):
    import jax
    import jax.numpy as jnp
    x, y, ws, bs = mlp_data()
    gpu = [d for d in jax.devices() if d.platform == "gpu"]
    if not gpu:
        raise ImportError("JAX sees no GPU")
    put = lambda a: jax.device_put(a, gpu[0])        # noqa: E731
    jx, jy = put(x), put(y)
    params = [put(a) for pair in zip(ws, bs) for a in pair]

    def loss_fn(params, x, y):
        h = x
        for i in range(3):
            h = h @ params[2 * i].T + params[2 * i + 1]
            if i < 2:
                h = jax.nn.relu(h)
        logp = jax.nn.log_softmax(h)
        return -jnp.mean(jnp.take_along_axis(logp, y[:, None], axis=1))
    vg = jax.jit(jax.value_and_grad(loss_fn))
    out = [None]

    def step():
        out[0] = vg(params, jx, jy)

    def sync():
        jax.block_until_ready(out[0])
    return median_ms(step, sync, repeat)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="run every test of tests/test_cuda_sim.py")
    parser.add_argument("--skip-tests", action="store_true")
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    extra = ensure_pure_python_deps()
    from numba import cuda
    if not cuda.is_available():
        sys.exit("numba.cuda sees no GPU: this script is for a machine with one (use NUMBA_ENABLE_CUDASIM=1 "
                 "and pytest tests/test_cuda_sim.py elsewhere)")
    print("GPU:", cuda.get_current_device().name, flush=True)
    rc = 0 if args.skip_tests else run_tests(args.full, extra)
    rows = []
    t, loss, ref_loss, copies = bench_s2sgrad(args.repeat)
    rows.append(("s2sgrad cuda", f"{t:.2f}", f"loss {loss:.6f} (NumPy {ref_loss:.6f}); host<->device copies "
                                              f"in {args.repeat} timed steps: {copies}"))
    for name, fn in (("PyTorch CUDA", bench_torch), ("JAX jit", bench_jax)):
        try:
            rows.append((name, f"{fn(args.repeat):.2f}", ""))
        except ImportError as exc:
            rows.append((name, "not installed", str(exc)[:60]))
    print("\nMLP 784-1024-1024-10, batch 1024, float32: forward + backward (get_by_list), median ms")
    print(f"{'':16} {'ms/step':>14}  note")
    for name, ms_, note in rows:
        print(f"{name:16} {ms_:>14}  {note}")
    print(f"\ntests: {'passed' if rc == 0 else 'FAILED (exit %d)' % rc}")
    sys.exit(rc)


if __name__ == "__main__":
    main()
