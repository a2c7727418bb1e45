#!/usr/bin/env bash
# Installs d2l as a user does and runs a chapter notebook from there: `npm pack`, `npm install <tarball>` in an
# empty folder, `npx d2l kernel install`, `npx d2l notebooks`, `npx d2l run` (smoke profile). Fails on any step.
# Needs the npm registry (for d2l's dependencies). D2L_REQUIRE_NATIVE=1: the run must use the native backend.
set -euo pipefail
cd "$(dirname "$0")/.."
work="$(mktemp -d /tmp/d2l-install-XXXXXX)"
trap 'rm -rf "$work"' EXIT
echo "== npm pack"
npm pack --silent --pack-destination "$work" >/dev/null
tarball="$(ls "$work"/d2l-*.tgz)"
mkdir "$work/course" && cd "$work/course"
echo "== npm install $(basename "$tarball") into an empty folder"
start=$SECONDS
npm install --no-audit --no-fund --silent "$tarball"
echo "   installed in $((SECONDS - start)) s"
if [ -f node_modules/d2l/native/build/Release/d2l_native.node ]; then
  echo "   native backend built at install"
else
  echo "   native backend not built: $(cat node_modules/d2l/native/build/REASON.txt 2>/dev/null || echo 'no reason recorded')"
  [ "${D2L_REQUIRE_NATIVE:-}" = 1 ] && { echo "FAIL: D2L_REQUIRE_NATIVE=1"; exit 1; }
fi
export JUPYTER_DATA_DIR="$work/jupyter"
echo "== npx d2l kernel install"
npx d2l kernel install
grep -q "$work/course/node_modules/d2l/dist/kernel/main.js" "$JUPYTER_DATA_DIR/kernels/d2l/kernel.json"
echo "== npx d2l notebooks ."
npx d2l notebooks .
echo "== npx d2l run 7.5-batch-norm.ipynb --profile smoke"
npx d2l run 7.5-batch-norm.ipynb --profile smoke --out out --json out/summary.json | tee "$work/run.log"
if [ "${D2L_REQUIRE_NATIVE:-}" = 1 ] && ! grep -q "on native:cpu:0" "$work/run.log"; then
  echo "FAIL: the notebook did not run on the native backend"; exit 1
fi
echo "install-as-a-user check: ok"
