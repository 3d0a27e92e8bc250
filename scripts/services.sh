#!/usr/bin/env bash
# Makes sure the PostgreSQL and Redis that tests use are installed and running
# on this machine. Idempotent: a service already answering is left alone.
set -euo pipefail

need_apt_update=1
apt_install() {
  if [ "$(id -u)" != 0 ]; then
    echo "services: $* missing and not root; install it and re-run" >&2
    exit 1
  fi
  if [ $need_apt_update = 1 ]; then
    apt-get update -qq
    need_apt_update=0
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

pg_ready() { pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; }

if ! command -v pg_isready >/dev/null || ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  if [ -z "${DATABASE_URL:-}${RIGGER_TEST_DATABASE_URL:-}" ]; then
    echo "services: installing PostgreSQL"
    apt_install postgresql postgresql-client
  fi
fi
if [ -z "${DATABASE_URL:-}${RIGGER_TEST_DATABASE_URL:-}" ] && ! pg_ready; then
  echo "services: starting PostgreSQL"
  ver=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -1)
  if [ -z "$ver" ]; then
    ver=$(ls /usr/lib/postgresql | sort -V | tail -1)
    pg_createcluster "$ver" main >/dev/null
  fi
  conf=/etc/postgresql/$ver/main
  # Tests connect as postgres over TCP without a password (trust on loopback only).
  if ! grep -q '^host all all 127.0.0.1/32 trust' "$conf/pg_hba.conf"; then
    sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$conf/pg_hba.conf"
  fi
  pg_ctlcluster --skip-systemctl-redirect "$ver" main start || pg_ctlcluster "$ver" main start
  for _ in $(seq 1 30); do pg_ready && break; sleep 1; done
  pg_ready || { echo "services: PostgreSQL did not start" >&2; exit 1; }
fi

redis_ready() { redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG; }
if [ -z "${RIGGER_TEST_REDIS_URL:-}" ]; then
  if ! command -v redis-server >/dev/null; then
    echo "services: installing Redis"
    apt_install redis-server
  fi
  if ! redis_ready; then
    echo "services: starting Redis"
    mkdir -p /var/lib/redis /var/log/redis
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
      --dir /var/lib/redis --logfile /var/log/redis/rigger.log
    for _ in $(seq 1 30); do redis_ready && break; sleep 0.5; done
    redis_ready || { echo "services: Redis did not start" >&2; exit 1; }
  fi
fi
command -v git >/dev/null || apt_install git
echo "services: PostgreSQL and Redis are up"
