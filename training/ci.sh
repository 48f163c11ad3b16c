#!/usr/bin/env bash
# Python side of CI: install moodshelf_train and its test deps from the local pip index, run pytest.
# Exits non-zero on any failure, including pytest exit 5 (no tests collected).
set -euo pipefail
cd "$(dirname "$0")"
PY="${PYTHON:-python3}"
if ! "$PY" -c "import torch" 2>/dev/null; then
  # prefer the CPU-only wheel where the index has it
  "$PY" -m pip install -q "torch==2.13.0+cpu" || "$PY" -m pip install -q torch
fi
"$PY" -m pip install -q -e '.[test]'
set +e
"$PY" -m pytest -q tests
rc=$?
set -e
if [ "$rc" -ne 0 ]; then
  echo "training/ci.sh: pytest failed with exit code $rc" >&2
  exit "$rc"
fi

# The end-to-end run the app's tests consume: a pack exported from the synthetic run must install with
# `moodshelf models install` and score tracks (tests/integration/trained-pack.test.ts).
rm -rf ../tests/.tmp/training-run
"$PY" -m moodshelf_train reproduce --synthetic --out ../tests/.tmp/training-run
