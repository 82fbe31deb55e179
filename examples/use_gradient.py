"""Train with a gradient file written by `s2sgrad emit --standalone` (see emit_gradient.sh).

Only NumPy and Numba are needed here: the file carries its own kernels.
    python use_gradient.py mlp_grad.py mlp_params.npz
"""
import importlib.util
import sys

import numpy as np


def load(path):
    spec = importlib.util.spec_from_file_location("mlp_grad", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module     # as `import` does: Numba's disk cache finds the module by name
    spec.loader.exec_module(module)
    return module


def main(grad_file, params_file, steps=60, lr=0.5):
    grad = load(grad_file)
    params = list(grad.load_params(params_file))        # in the order of grad.PARAMS
    rng = np.random.default_rng(0)
    centers = rng.standard_normal((4, 20)).astype(np.float32) * 2
    for step in range(steps):
        label = rng.integers(0, 4, 64).astype(np.int32)
        data = (centers[label] + rng.standard_normal((64, 20))).astype(np.float32)
        loss, grads = grad.gradient(data, label, *params)   # grads: d_<param> for each of grad.PARAMS
        params = [p - lr * g for p, g in zip(params, grads)]
        if step % 10 == 0 or step == steps - 1:
            print(f"step {step:3d}  loss {float(loss):.4f}")
    print(f"parameters {', '.join(grad.PARAM_NAMES)} trained; s2sgrad imported: {'s2sgrad' in sys.modules}")


if __name__ == "__main__":
    main(*sys.argv[1:3])
