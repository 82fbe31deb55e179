#!/usr/bin/env bash
# The GPU check (tools/gpu_check.py): CUDA tests without the simulator, then the MLP
# step timed against PyTorch and JAX. Needs gast/astor installed or as wheels in wheels/.
set -euo pipefail
cd "$(dirname "$0")/.."
unset NUMBA_ENABLE_CUDASIM
exec "${PYTHON:-python3}" tools/gpu_check.py "$@"
