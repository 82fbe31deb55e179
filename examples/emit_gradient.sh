#!/usr/bin/env bash
# Write a standalone gradient file for the classifier in examples/mlp_model.py with the
# s2sgrad CLI, then train with it from a script that never imports s2sgrad.
#   bash examples/emit_gradient.sh [output-folder]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-$(mktemp -d)}"
python="${PYTHON:-python3}"
mkdir -p "$out"

"$python" -m s2sgrad.cli emit "$here/mlp_model.py:classifier" --args "20, 32, 4" \
    --input data=64,20:float32 --input label=64:int32 --wrt weights \
    --standalone -o "$out/mlp_grad.py" --save-params "$out/mlp_params.npz"
"$python" -m s2sgrad.cli check "$here/mlp_model.py:classifier" --args "20, 32, 4" \
    --input data=64,20:float32 --input label=64:int32:0..4
"$python" "$here/use_gradient.py" "$out/mlp_grad.py" "$out/mlp_params.npz"
