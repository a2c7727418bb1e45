#!/usr/bin/env bash
# Runs one chapter notebook through an external client, Debian's `jupyter nbconvert --execute`, on our kernel:
# proves the kernelspec, the protocol and the notebooks work outside our own runner. Fails if any cell fails.
# Usage: scripts/nbconvert-notebook.sh [notebook] (default: GoogLeNet, the quickest smoke run)
set -euo pipefail
cd "$(dirname "$0")/.."
nb="${1:-notebooks/7.4-googlenet.ipynb}"
prefix="$(mktemp -d)"
trap 'rm -rf "$prefix"' EXIT
node bin/d2l.js kernel install --prefix "$prefix"
export JUPYTER_PATH="$prefix/share/jupyter"
mkdir -p out/nbconvert
D2L_PROFILE="${D2L_PROFILE:-smoke}" /usr/bin/python3 -m nbconvert --to notebook --execute \
  --ExecutePreprocessor.kernel_name=d2l --ExecutePreprocessor.timeout=900 \
  --output-dir out/nbconvert "$nb"
# Every code cell must have run: nbconvert fills execution_count for each executed cell.
/usr/bin/python3 - "out/nbconvert/$(basename "$nb")" <<'PY'
import json, sys
nb = json.load(open(sys.argv[1]))
code = [c for c in nb["cells"] if c["cell_type"] == "code"]
missing = [i for i, c in enumerate(code) if c.get("execution_count") is None]
errors = [o for c in code for o in c.get("outputs", []) if o.get("output_type") == "error"]
assert not missing and not errors, f"cells not executed: {missing}, errors: {errors}"
print(f"nbconvert: {len(code)} code cells executed, no errors ({sys.argv[1]})")
PY
