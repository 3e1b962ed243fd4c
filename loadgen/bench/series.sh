#!/usr/bin/env bash
# The issue #14 table: 3 runs each of 100, 250 and 500 players through a gateway, and of
# the worker alone (--nats-direct) with ROOMS_DIRECT rooms of 5; then the medians.
#   loadgen/bench/series.sh OUT_DIR
set -euo pipefail
out=$1
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
for run in 1 2 3; do
  for players in ${PLAYERS:-100 250 500}; do
    "$here/cost.sh" clients "$players" "$out/clients-$players-$run.json" >"$out/clients-$players-$run.log" 2>&1 || echo "clients $players run $run failed"
  done
  for rooms in ${ROOMS_DIRECT:-400}; do
    "$here/cost.sh" direct $((rooms * 5)) "$out/direct-$((rooms * 5))-$run.json" >"$out/direct-$((rooms * 5))-$run.log" 2>&1 || echo "direct $rooms run $run failed"
  done
done
python3 "$here/summary.py" "$out"
