#!/usr/bin/env bash
# Creates a Python venv from PyPI for one requirements file beside this script (requirements.txt:
# the reference, with transformers, diffusers, torch, Optimum's ONNX exporter and ONNX Runtime),
# cached outside git and keyed by the file and the Python version, and prints its path on stdout.
# A venv left half-built by a killed run has no .complete marker and is built again; a lock keeps
# parallel callers from building it twice. Usage: ensure-venv.sh [requirements-file-name]
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
name="${1:-requirements.txt}"
requirements="$here/$name"
CACHE="${ARIA_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/aria}"
PYTHON="${ARIA_PYTHON:-python3}"

if ! command -v "$PYTHON" >/dev/null 2>&1; then
  echo "aria: $PYTHON is not installed. Install Python 3.10 or newer with venv and run again." >&2
  exit 1
fi

key="$({ cat "$requirements"; "$PYTHON" -c 'import sys; print(sys.version)'; } | sha256sum | cut -c1-12)"
kind="${name#requirements}"
VENV="$CACHE/venv/reference${kind%.txt}-$key"
mkdir -p "$CACHE/venv"

exec 9>"$VENV.lock"
flock 9
if [[ -f "$VENV/.complete" ]]; then
  echo "$VENV"
  exit 0
fi

started=$SECONDS
echo "aria: creating the Python venv $VENV from $requirements ($(date +%T))" >&2
rm -rf "$VENV"
"$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --progress-bar off --upgrade pip >&2
"$VENV/bin/python" -m pip install --quiet --progress-bar off -r "$requirements" >&2
touch "$VENV/.complete"
echo "aria: created the Python venv in $((SECONDS - started)) s ($(du -sh "$VENV" | cut -f1))" >&2
echo "$VENV"
