# Sourced by the benchmarks that need PostgreSQL: `start_postgres DIR` starts a throwaway, durable
# server (fsync on) on a Unix socket in DIR (as nobody when run as root), stopped on exit, and sets
# pg_url and pg_bin.
start_postgres() {
  local dir=$1
  pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  pg_as=()
  mkdir -p "$dir"
  if [ "$(id -u)" -eq 0 ]; then pg_as=(setpriv --reuid=nobody --regid=nogroup --clear-groups --); chown nobody "$dir"; fi
  "${pg_as[@]}" "$pg_bin/initdb" --pgdata "$dir/data" --username=veedor --auth=trust --encoding=UTF8 --locale=C --no-instructions >/dev/null
  "${pg_as[@]}" "$pg_bin/pg_ctl" start --pgdata "$dir/data" --wait --silent --log "$dir/server.log" \
    -o "-k $dir -c listen_addresses= -c shared_buffers=1GB -c max_wal_size=8GB -c max_connections=200"
  "${pg_as[@]}" "$pg_bin/psql" -h "$dir" -U veedor -d postgres -qc "CREATE DATABASE veedor" >/dev/null
  pg_dir=$dir
  trap '"${pg_as[@]}" "$pg_bin/pg_ctl" stop --pgdata "$pg_dir/data" --mode=fast --wait --silent; cleanup_more 2>/dev/null || true' EXIT
  pg_url="postgresql://veedor@$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$dir")/veedor"
}
