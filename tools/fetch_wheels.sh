#!/usr/bin/env bash
# Download the pure-Python runtime dependencies that a GPU machine without a package
# index lacks (gast, astor) as wheels into wheels/, for tools/gpu_check.py.
# Run on a machine with an index; copy wheels/ beside (or into) the checkout.
set -euo pipefail
cd "$(dirname "$0")/.."
"${PYTHON:-python3}" -m pip download --only-binary=:all: --no-deps --python-version 3.12 \
    --implementation cp --abi cp312 --platform any -d wheels "gast>=0.5" "astor>=0.8"
ls -l wheels
