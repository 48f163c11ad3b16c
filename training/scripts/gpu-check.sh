#!/usr/bin/env bash
# Short GPU check of the training pipeline (well under 5 minutes on one GPU). Run from anywhere:
#   bash training/scripts/gpu-check.sh            (OUT=dir keeps the JSON reports there; default a temp folder)
#   PYTHON=/path/to/python bash training/scripts/gpu-check.sh   an interpreter whose torch has CUDA
# 1. `device-check` under torchrun, world size 1, NCCL: paper-size synthetic features written in the paper's
#    layout ([N, 1, 13, 768], structured index, MTG split files) and read back, the attention head (16.8 M) on
#    the GPU with autocast (bf16 where supported), DataLoader workers, a few dozen steps of batch 256 per dataset,
#    checkpoint -> restore -> same next-step loss, validation scoring on the GPU.
# 2. `reproduce` itself (configs/gpu-check.json: one fold, + alignment reg., 2 epochs, 768-d synthetic features)
#    under torchrun with --device cuda, so the trainer's device handling runs for real; then --resume of it.
# Exit status: 0 ok; 2 no GPU (nothing was checked); anything else: a failure.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-}"
if [ -z "$PY" ]; then
  if [ -x .venv/bin/python ]; then PY=.venv/bin/python; else PY=python3; fi
fi
if ! "$PY" -c 'import torch' 2>/dev/null; then
  echo "gpu-check: $PY has no torch; set PYTHON= to an interpreter with a CUDA build of torch (and moodshelf_train's deps)" >&2
  exit 2
fi
if ! "$PY" -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() and torch.cuda.device_count() > 0 else 1)'; then
  echo "gpu-check: no CUDA GPU is visible to PyTorch ($("$PY" -c 'import torch; print("torch", torch.__version__, "CUDA build", torch.version.cuda)')); nothing was checked." >&2
  command -v nvidia-smi >/dev/null && nvidia-smi -L >&2 || echo "gpu-check: (nvidia-smi not found either)" >&2
  exit 2
fi
OUT="${OUT:-$(mktemp -d -t moodshelf-gpu-check-XXXXXX)}"
mkdir -p "$OUT"
command -v nvidia-smi >/dev/null && nvidia-smi -L || true
start=$SECONDS
TORCHRUN=("$PY" -m torch.distributed.run --standalone --nproc_per_node 1)

echo "== 1/3 device-check (torchrun, world size 1, NCCL)"
timeout 240 "${TORCHRUN[@]}" -m moodshelf_train device-check --device cuda --steps 40 --workers 4 \
  --tracks 600 --out "$OUT/device-check" --json "$OUT/device-check.json"

echo "== 2/3 reproduce on the GPU (configs/gpu-check.json, torchrun, NCCL)"
timeout 240 "${TORCHRUN[@]}" -m moodshelf_train reproduce --synthetic --config gpu-check --device cuda \
  --no-export --out "$OUT/runs" --checkpoint-dir "$OUT/checkpoints"

echo "== 3/3 reproduce --resume (the finished checkpoints are picked up)"
timeout 240 "${TORCHRUN[@]}" -m moodshelf_train reproduce --synthetic --config gpu-check --device cuda \
  --no-export --out "$OUT/runs" --checkpoint-dir "$OUT/checkpoints" --resume

echo "gpu-check: OK in $((SECONDS - start)) s (reports in $OUT)"
