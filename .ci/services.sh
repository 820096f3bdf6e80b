#!/usr/bin/env bash
# Starts Postgres (127.0.0.1:5432) and Redis (127.0.0.1:6379) when they are not answering.
# Installs them from Debian packages on a machine that lacks them. Never restarts a running one.
set -uo pipefail

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

redis_up() { redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG; }
pg_up() { pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; }

if ! command -v redis-server >/dev/null || ! command -v pg_ctlcluster >/dev/null; then
  echo "installing postgresql and redis-server"
  as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql redis-server
fi

if ! redis_up; then
  echo "starting redis"
  as_root mkdir -p /var/lib/redis /var/log/redis
  as_root redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
fi

if ! pg_up; then
  echo "starting postgres"
  as_root pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start
fi

for _ in $(seq 1 30); do
  redis_up && pg_up && exit 0
  sleep 1
done
redis_up || echo "redis is still not answering on 127.0.0.1:6379" >&2
pg_up || echo "postgres is still not answering on 127.0.0.1:5432" >&2
exit 1
