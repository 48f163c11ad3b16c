#!/usr/bin/env bash
# Python side of CI: a virtual environment of its own (training/.venv; never the system interpreter, whose
# pip Debian refuses), moodshelf_train and its test deps installed there from the pip index the first time
# (or when pyproject.toml changes), then pytest and the synthetic end-to-end run.
# Exits non-zero on any failure, including pytest exit 5 (no tests collected).
#   PYTHON=python3.12 bash training/ci.sh     another base interpreter (3.10+; default python3)
#   MOODSHELF_VENV=DIR bash training/ci.sh    another place for the venv (default training/.venv)
set -euo pipefail
cd "$(dirname "$0")"
BASE="${PYTHON:-python3}"
VENV="${MOODSHELF_VENV:-$PWD/.venv}"
PY="$VENV/bin/python"
# Fail fast where an index is unreachable (offline machines reach only a local index) instead of retrying;
# -qq: errors only (an offline index otherwise warns once per package).
PIP=(-m pip install -qq --retries 0 --timeout 5)
TORCH_CPU="torch==2.13.0+cpu"

if ! "$BASE" -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
  echo "training/ci.sh: needs Python 3.10+ ($BASE is $("$BASE" --version 2>&1 || echo missing)); set PYTHON=" >&2
  exit 1
fi
base_version="$("$BASE" -c 'import platform; print(platform.python_version())')"
# What the installed deps depend on: the interpreter, pyproject.toml, and the torch pin above.
want="python $base_version; $(sha256sum pyproject.toml | cut -c1-16); $TORCH_CPU"
stamp="$VENV/.moodshelf-deps"

# A venv whose interpreter is gone or of another version is made anew.
if [ -x "$PY" ] && [ "$("$PY" -c 'import platform; print(platform.python_version())' 2>/dev/null)" != "$base_version" ]; then
  echo "training/ci.sh: $VENV is not Python $base_version; recreating it"
  rm -rf "$VENV"
fi
if [ ! -x "$PY" ]; then
  echo "training/ci.sh: creating $VENV ($BASE -m venv, Python $base_version)"
  rm -rf "$VENV"
  if ! "$BASE" -m venv "$VENV"; then
    echo "training/ci.sh: '$BASE -m venv' failed (on Debian/Ubuntu: apt-get install python3-venv)" >&2
    exit 1
  fi
fi

if [ "$(cat "$stamp" 2>/dev/null)" = "$want" ] &&
  "$PY" -c 'import importlib.metadata as m; [m.version(p) for p in ("moodshelf-train", "torch", "pytest")]' 2>/dev/null; then
  echo "training/ci.sh: reusing $VENV (dependencies installed)"
else
  start=$SECONDS
  rm -f "$stamp"
  if ! "$PY" -c 'import importlib.metadata as m; m.version("torch")' 2>/dev/null; then
    echo "training/ci.sh: installing torch into $VENV (CPU wheel where the index has it)"
    "$PY" "${PIP[@]}" "$TORCH_CPU" || {
      echo "training/ci.sh: $TORCH_CPU not available; installing torch"
      "$PY" "${PIP[@]}" torch
    }
  fi
  echo "training/ci.sh: installing moodshelf_train and its test dependencies into $VENV"
  "$PY" "${PIP[@]}" -e '.[test]'
  echo "$want" >"$stamp"
  echo "training/ci.sh: Python dependencies installed in $((SECONDS - start)) s"
fi

set +e
"$PY" -m pytest -q tests
rc=$?
set -e
if [ "$rc" -ne 0 ]; then
  echo "training/ci.sh: pytest failed with exit code $rc" >&2
  exit "$rc"
fi

# The end-to-end run the app's tests consume: a pack exported from the synthetic run must install with
# `moodshelf models install` and score tracks (tests/integration/trained-pack.test.ts). The synthetic data is
# written in the paper's on-disk layout and read back with the real readers. CPU on purpose (--device cpu): the
# GPU path has its own check, scripts/gpu-check.sh.
rm -rf ../tests/.tmp/training-run
start=$SECONDS
"$PY" -m moodshelf_train reproduce --synthetic --device cpu --out ../tests/.tmp/training-run
echo "training/ci.sh: synthetic reproduce run took $((SECONDS - start)) s"
