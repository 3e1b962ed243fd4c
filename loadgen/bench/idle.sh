#!/usr/bin/env bash
# Gateway memory per idle WebSocket (issue #14), one run:
#   loadgen/bench/idle.sh SOCKETS
# A fresh gateway (release binary from $TARGET, default target/release) on core 0 against
# the machine's NATS, Redis and PostgreSQL (its own prefix and a fresh database), with
# the per-address quotas raised (every socket comes from 127.0.0.1). SOCKETS idle sockets
# (authenticated, in no room, a Ping every 10 s) from load generators on core 1, one
# process per $CHUNK sockets (default 5000): a load generator needs two descriptors per
# socket and a process may hold at most `ulimit -Hn` of them. The gateway holds one
# descriptor per socket too, beside ~20 of its own and the load generators' pooled HTTP
# connections (guest tokens): with a hard limit of 20,000 it cannot reach 20,000 sockets.
# Bytes per socket = (gateway VmRSS 3 s after the last socket opened − VmRSS before the
# first) / sockets open, the loadgen's `--idle` rule with the gateway's own count
# (`orrery_gateway_connections_open`). Prints one line: sockets, bytes per socket, and
# the gateway's descriptors.
set -euo pipefail
sockets=$1
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${TARGET:-$root/target/release}
chunk=${CHUNK:-5000}
port=${PORT:-48180}
ops=$((port + 1000))
db=orrery_idle_$$
export ORRERY_NATS_URL=nats://127.0.0.1:4222 ORRERY_REDIS_URL=redis://127.0.0.1:6379 \
       ORRERY_DATABASE_URL=postgres://postgres@127.0.0.1:5432/$db ORRERY_PREFIX=idle$$ \
       ORRERY_JWT_SECRET=orrery-dev-secret-do-not-deploy-0123456789 ORRERY_LOG=warn
psql -q -h 127.0.0.1 -U postgres -c "CREATE DATABASE $db"

taskset -c 0 "$bin/orrery-gateway" --listen 127.0.0.1:$port --ops-listen 127.0.0.1:$ops \
  --quota-guest-token-burst 100000 --quota-guest-tokens-per-minute 100000 \
  --quota-sockets-per-address 100000 &
gateway=$!
loadgens=()
cleanup() {
  kill "${loadgens[@]}" "$gateway" 2>/dev/null || true
  wait "${loadgens[@]}" "$gateway" 2>/dev/null || true
  psql -q -h 127.0.0.1 -U postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" || true
}
trap cleanup EXIT
for _ in $(seq 100); do curl -fs 127.0.0.1:$port/healthz >/dev/null && break; sleep 0.2; done
# Sockets open, by the gateway's own count ("" when it has no descriptor left to answer).
open() { (curl -fs 127.0.0.1:$ops/metrics || true) | awk '$1 == "orrery_gateway_connections_open" { print int($2) }'; }
rss() { awk '/^VmRSS/ { print $2 * 1024 }' /proc/$gateway/status; }
fds_before=$(ls /proc/$gateway/fd | wc -l)
before=$(rss)

left=$sockets
while [ "$left" -gt 0 ]; do
  n=$((left < chunk ? left : chunk))
  taskset -c 1 "$bin/orrery-loadgen" --idle --gateways http://127.0.0.1:$port --players "$n" \
    --duration-secs 60 --setup-timeout-secs 300 --no-progress >/dev/null 2>&1 &
  loadgens+=($!)
  left=$((left - n))
done
# Until every socket is open, or none more opened for 20 s.
last=0 still=0
while :; do
  sleep 1
  now=$(open)
  now=${now:-$last}
  if [ "$now" -ge "$sockets" ]; then break; fi
  if [ "$now" -eq "$last" ]; then still=$((still + 1)); else still=0; fi
  if [ "$still" -ge 20 ]; then break; fi
  last=$now
done
sleep 3
held=$(open)
held=${held:-$last}
after=$(rss)
fds=$(ls /proc/$gateway/fd | wc -l)
echo "sockets $held of $sockets: $(( (after - before) / held )) bytes per socket (VmRSS $before -> $after; descriptors $fds_before -> $fds; load $(cut -d' ' -f1-3 /proc/loadavg))"
