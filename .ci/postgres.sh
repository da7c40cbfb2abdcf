#!/usr/bin/env bash
# Starts the PostgreSQL the tests expect (127.0.0.1, trust auth, database `test`, user postgres)
# from Debian's packages: installs the server when missing, creates the cluster when there is none,
# allows trust logins from 127.0.0.1, starts it and creates the database. Run by .ci/run only when
# nothing answers on the port. Usage: postgres.sh [cluster] [port]   (default: main 5432)
set -euo pipefail
cluster=${1:-main}
port=${2:-5432}

if ! command -v pg_ctlcluster >/dev/null || ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  echo "postgres.sh: installing Debian's postgresql"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends postgresql
fi
version=$(find /usr/lib/postgresql -mindepth 1 -maxdepth 1 -printf "%f\n" | sort -V | tail -n 1)
conf=/etc/postgresql/$version/$cluster
[ -d "$conf" ] || pg_createcluster "$version" "$cluster" --port "$port"

# Only the loopback address, on the given port, trust for local and loopback logins (the tests'
# URL carries no password). The block goes first in pg_hba.conf: the first matching line wins.
mkdir -p "$conf/conf.d"
printf "listen_addresses = '127.0.0.1'\nport = %s\n" "$port" >"$conf/conf.d/90-hashfleet-ci.conf"
marker='# hashfleet .ci/postgres.sh'
if ! grep -qF "$marker" "$conf/pg_hba.conf"; then
  { printf '%s\nlocal all all trust\nhost all all 127.0.0.1/32 trust\n' "$marker"; cat "$conf/pg_hba.conf"; } >"$conf/pg_hba.conf.new"
  chown --reference="$conf/pg_hba.conf" "$conf/pg_hba.conf.new"
  chmod --reference="$conf/pg_hba.conf" "$conf/pg_hba.conf.new"
  mv "$conf/pg_hba.conf.new" "$conf/pg_hba.conf"
fi

# Without systemd (containers, CI runners) pg_ctlcluster must not hand over to systemctl.
if pg_ctlcluster "$version" "$cluster" status >/dev/null 2>&1; then action=restart; else action=start; fi
pg_ctlcluster --skip-systemctl-redirect "$version" "$cluster" "$action"

for _ in $(seq 1 30); do
  pg_isready -q -h 127.0.0.1 -p "$port" && break
  sleep 1
done
pg_isready -h 127.0.0.1 -p "$port"
if [ "$(psql -h 127.0.0.1 -p "$port" -U postgres -tAc "select 1 from pg_database where datname = 'test'")" != 1 ]; then
  createdb -h 127.0.0.1 -p "$port" -U postgres test
fi
echo "postgres.sh: PostgreSQL $version cluster $cluster answers on 127.0.0.1:$port, database test"
