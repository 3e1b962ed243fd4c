#!/usr/bin/env bash
# CPU per player-second of every server process (issue #14), one run:
#   loadgen/bench/cost.sh clients PLAYERS OUT.json   # players through one gateway
#   loadgen/bench/cost.sh direct  PLAYERS OUT.json   # --nats-direct: the worker alone
# Private NATS (4333), Redis (6390) and PostgreSQL (5440, cluster in $BENCH_DIR/pg) are
# started once and reused, so nothing else on the machine shares them; the database is
# dropped and created afresh for every run. Servers on core 0 (the worker with one Tokio
# thread), the load generator on core 1. Release binaries from $TARGET (target/release).
set -euo pipefail
mode=$1 players=$2 out=$3
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${TARGET:-$root/target/release}
dir=${BENCH_DIR:-/tmp/orrery-bench}
pgbin=${PGBIN:-/usr/lib/postgresql/15/bin}
secs=${SECS:-30}
mkdir -p "$dir"
chmod 777 "$dir"

if ! (exec 3<>/dev/tcp/127.0.0.1/4333)  2>/dev/null; then
  taskset -c 0 nats-server -a 127.0.0.1 -p 4333 -js -sd "$dir/js" >"$dir/nats.log" 2>&1 &
fi
if ! (exec 3<>/dev/tcp/127.0.0.1/6390)  2>/dev/null; then
  redis-server --port 6390 --bind 127.0.0.1 --save '' --appendonly no --daemonize yes --logfile "$dir/redis.log" --pidfile "$dir/redis.pid"
fi
if ! (exec 3<>/dev/tcp/127.0.0.1/5440)  2>/dev/null; then
  if [ ! -d "$dir/pg" ]; then
    su postgres -c "$pgbin/initdb -D $dir/pg -U postgres -A trust" >"$dir/initdb.log"
  fi
  su postgres -c "$pgbin/pg_ctl -D $dir/pg -o '-p 5440 -k $dir -c listen_addresses=127.0.0.1 -c max_connections=200' -l $dir/pg.log start" >/dev/null
fi
for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/4333) 2>/dev/null && (exec 3<>/dev/tcp/127.0.0.1/6390) 2>/dev/null && (exec 3<>/dev/tcp/127.0.0.1/5440) 2>/dev/null && break; sleep 0.2; done

psql -q -h 127.0.0.1 -p 5440 -U postgres -c 'DROP DATABASE IF EXISTS orrery_lg WITH (FORCE)' -c 'CREATE DATABASE orrery_lg'
redis-cli -p 6390 flushall >/dev/null
export ORRERY_NATS_URL=nats://127.0.0.1:4333 ORRERY_REDIS_URL=redis://127.0.0.1:6390 \
       ORRERY_DATABASE_URL=postgres://postgres@127.0.0.1:5440/orrery_lg ORRERY_PREFIX=lg \
       ORRERY_JWT_SECRET=orrery-dev-secret-do-not-deploy-0123456789 ORRERY_LOG=warn

TOKIO_WORKER_THREADS=1 taskset -c 0 "$bin/orrery-worker" --ops-listen 127.0.0.1:49300 --worker-id lg-worker-0 --capacity 100000 &
worker=$!
taskset -c 0 "$bin/orrery-gateway" --listen 127.0.0.1:48080 --ops-listen 127.0.0.1:49090 \
  --quota-guest-token-burst 100000 --quota-guest-tokens-per-minute 100000 --quota-room-burst 100000 \
  --quota-rooms-per-minute 100000 --quota-live-rooms 100000 --quota-sockets-per-address 100000 &
gateway=$!
trap 'kill $worker $gateway 2>/dev/null; wait $worker $gateway 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -fs 127.0.0.1:48080/healthz >/dev/null && curl -fs 127.0.0.1:49300/healthz >/dev/null && break; sleep 0.2; done

natspid=$(pgrep -f 'nats-server -a 127.0.0.1 -p 4333' | head -1)
redispid=$(cat "$dir/redis.pid")
pgpid=$(head -1 "$dir/pg/postmaster.pid")
procs=(--proc "gateway=$gateway" --proc "worker=$worker" --proc "nats=$natspid" --proc "redis=$redispid" --proc "postgres=$pgpid")
echo "load before: $(uptime)"
cut -d" " -f1-3 /proc/loadavg >"$out.load"
if [ "$mode" = direct ]; then
  taskset -c 1 "$bin/orrery-loadgen" --nats-direct --nats-url nats://127.0.0.1:4333 --prefix lg \
    --gateways http://127.0.0.1:48080 --worker-metrics http://127.0.0.1:49300 \
    --players "$players" --per-room 5 --duration-secs "$secs" "${procs[@]}" --json "$out"
else
  taskset -c 1 "$bin/orrery-loadgen" --gateways http://127.0.0.1:48080 --gateway-metrics http://127.0.0.1:49090 \
    --players "$players" --per-room 5 --duration-secs "$secs" --no-progress "${procs[@]}" --json "$out"
fi
echo "load after: $(uptime)"
cut -d" " -f1-3 /proc/loadavg >>"$out.load"
