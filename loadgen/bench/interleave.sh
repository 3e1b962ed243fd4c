#!/usr/bin/env bash
# Two builds compared at the same machine load: 3 rounds, each running BEFORE then AFTER
# (directories holding orrery-worker, orrery-gateway, orrery-loadgen) with 250 players
# through the gateway and 400 rooms × 5 worker-only; then the medians of each.
#   loadgen/bench/interleave.sh BEFORE_BIN AFTER_BIN OUT_DIR
set -euo pipefail
before=$1 after=$2 out=$3
here=$(cd "$(dirname "$0")" && pwd)
for run in 1 2 3; do
  for v in before after; do
    bin=$before; [ "$v" = after ] && bin=$after
    mkdir -p "$out/$v"
    TARGET=$bin SECS=${SECS:-15} "$here/cost.sh" clients 250 "$out/$v/clients-250-$run.json" >"$out/$v/clients-250-$run.log" 2>&1
    TARGET=$bin SECS=${SECS:-15} "$here/cost.sh" direct 2000 "$out/$v/direct-2000-$run.json" >"$out/$v/direct-2000-$run.log" 2>&1
  done
done
for v in before after; do echo "$v"; python3 "$here/summary.py" "$out/$v"; done
