#!/usr/bin/env bash
# Fleet wall times on this PostgreSQL server, through the `migrate` binary:
#  1. a trivial migration (one CREATE TABLE) on N databases (default 100), concurrency C
#     (default 8), then the same on fresh databases one at a time (concurrency 1);
#  2. the planner's column rename (`migrate plan`: expand with a sync trigger, a backfill
#     of every row, then the contract) on R databases (default 20) of ROWS rows each
#     (default 100,000), concurrency C: `--phase expand` (expand + backfill), then
#     `--phase contract`;
#  3. schema per tenant: the trivial migration on S schemas (default 200) of one database,
#     concurrency C (each target's apply check reads its own schema, not the fleet's).
#   MIGRATE=target/release/migrate scripts/bench-fleet.sh
# Needs psql. Creates databases sluice_fb_<pid>_* and drops them at the end.
set -euo pipefail
N=${N:-100}
R=${R:-20}
S=${S:-200}
ROWS=${ROWS:-100000}
C=${C:-8}
BASE=${DATABASE_URL_PG:-postgres://postgres@127.0.0.1:5432/postgres}
BASE=${BASE%/*}
MIGRATE=$(realpath "${MIGRATE:-target/release/migrate}")
work=$(mktemp -d)
prefix=sluice_fb_$$
admin() { psql "$BASE/postgres" -qAtc "$1" >/dev/null; }
dbs() { psql "$BASE/postgres" -qAtc "SELECT datname FROM pg_database WHERE datname LIKE '${prefix}\\_%'"; }
cleanup() {
  for d in $(dbs); do admin "DROP DATABASE IF EXISTS $d WITH (FORCE)"; done
  rm -rf "$work"
}
trap cleanup EXIT
timeit() { local s e; s=$(date +%s.%N); "$@" >"$work/out.txt" 2>&1 || { cat "$work/out.txt"; return 1; }; e=$(date +%s.%N); printf '%.2f' "$(echo "$e - $s" | bc)"; }
fleet_of() { # name, concurrency, first database, count
  for i in $(seq "$3" $(($3 + $4 - 1))); do echo "$BASE/${prefix}_$(printf '%03d' "$i")"; done > "$work/$1.txt"
  printf '[fleet.%s]\ncommand = "cat %s"\nwaves = ["1", "10%%", "100%%"]\nconcurrency = %s\n' "$1" "$work/$1.txt" "$2"
}

# 1. trivial migration
mkdir -p "$work/trivial/migrations"
echo "CREATE TABLE t (id int);" > "$work/trivial/migrations/001_t.up.sql"
echo "DROP TABLE t;" > "$work/trivial/migrations/001_t.down.sql"
{ fleet_of wide "$C" 0 "$N"; fleet_of serial 1 "$N" "$N"; } > "$work/trivial/sluice.toml"
for i in $(seq 0 $((2 * N - 1))); do admin "CREATE DATABASE ${prefix}_$(printf '%03d' "$i")"; done
cd "$work/trivial"
echo "trivial migration, $N databases, concurrency $C: $(timeit "$MIGRATE" -q apply --fleet wide) s"
echo "trivial migration, $N databases, concurrency 1: $(timeit "$MIGRATE" -q apply --fleet serial) s"
for d in $(dbs); do admin "DROP DATABASE $d WITH (FORCE)"; done

# 2. the planner's rename on databases of ROWS rows (cloned from a template)
mkdir -p "$work/rename/migrations"
cd "$work/rename"
echo "CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);" > migrations/001_users.up.sql
echo "DROP TABLE users;" > migrations/001_users.down.sql
tpl=${prefix}_tpl
admin "CREATE DATABASE $tpl"
printf '[gates.default]\nkind = "command"\ncommand = "true"\n' > sluice.toml
"$MIGRATE" -q --database-url "$BASE/$tpl" apply >/dev/null
psql "$BASE/$tpl" -qc "INSERT INTO users SELECT g, 'user' || g || '@example.com' FROM generate_series(1, $ROWS) g" -c "VACUUM ANALYZE users" >/dev/null
for i in $(seq 0 $((R - 1))); do admin "CREATE DATABASE ${prefix}_$(printf '%03d' "$i") TEMPLATE $tpl"; done
echo "ALTER TABLE users RENAME COLUMN email TO email_address;" > migrations/002_rename_email.up.sql
"$MIGRATE" -q plan migrations/002_rename_email.up.sql --out migrations >/dev/null
fleet_of rename "$C" 0 "$R" >> sluice.toml
echo "planned rename, $R databases x $ROWS rows, concurrency $C: expand + backfill $(timeit "$MIGRATE" -q apply --fleet rename --phase expand) s, contract $(timeit "$MIGRATE" -q apply --fleet rename --phase contract) s"
filled=$(psql "$BASE/${prefix}_000" -qAtc "SELECT count(*) FROM users WHERE email_address IS NOT NULL")
cols=$(psql "$BASE/${prefix}_000" -qAtc "SELECT string_agg(column_name, ', ' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_name = 'users'")
echo "  (${prefix}_000: $filled of $ROWS rows carry email_address; users has: $cols)"

# 3. schema per tenant: S schemas of one database
mkdir -p "$work/schemas/migrations"
cd "$work/schemas"
echo "CREATE TABLE t (id int);" > migrations/001_t.up.sql
echo "DROP TABLE t;" > migrations/001_t.down.sql
admin "CREATE DATABASE ${prefix}_schemas"
psql "$BASE/${prefix}_schemas" -qc "CREATE TABLE public.tenants (name text PRIMARY KEY)" \
  -c "INSERT INTO tenants SELECT 'tenant_' || lpad(g::text, 4, '0') FROM generate_series(1, $S) g" \
  -c "DO \$\$ DECLARE s text; BEGIN FOR s IN SELECT name FROM tenants LOOP EXECUTE format('CREATE SCHEMA %I', s); END LOOP; END \$\$" >/dev/null
printf '[fleet.schemas]\nschemas_in = "%s"\nquery = "SELECT name FROM public.tenants"\nwaves = ["1", "100%%"]\nconcurrency = %s\n' "$BASE/${prefix}_schemas" "$C" > sluice.toml
echo "trivial migration, $S schemas of one database, concurrency $C: $(timeit "$MIGRATE" -q apply --fleet schemas) s"
