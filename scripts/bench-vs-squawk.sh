#!/usr/bin/env bash
# Lint speed and memory of `migrate lint` next to squawk: same files, same machine, same run.
#
#   scripts/bench-vs-squawk.sh [--mode files|dirs|pr|all] [--repeat N] [COPIES] [CORPORA_DIR]
#
# Modes (default all):
#   files  the PostgreSQL up files of CORPORA_DIR/MANIFEST.tsv (default ../shared/corpora), COPIES
#          copies (default 10: 12,000 files), passed as explicit paths: one change set.
#          squawk lints the same files.
#   dirs   COPIES copies of 7 projects' PostgreSQL migration directories (authelia, chirpstack,
#          crates.io, ente, kratos' *.postgres.* files, lemmy, vaultwarden; ups and downs, 22,660
#          files for 10 copies), `migrate lint --format gcc DIR...`: every migration linted on
#          the schema its directory's earlier migrations left. squawk lints the up files.
#   pr     a pull request's lint: lemmy's directory (684 files) in a git repository plus one new
#          migration, `migrate lint --base HEAD`: one file linted on the replayed history. `pr`:
#          the replayed history read from the cache (filled by one run before timing);
#          `pr-cold`: SLUICE_CACHE_DIR=off, the history replayed every run.
# Each measurement runs N times (default 5), sluice and squawk alternating; the medians of wall
# time and peak memory (GNU time) are printed. Release build.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=all repeat=5
while [ $# -gt 0 ]; do
  case $1 in
    --mode) mode=$2; shift 2 ;;
    --repeat) repeat=$2; shift 2 ;;
    *) break ;;
  esac
done
copies=${1:-10}
corpora=$(realpath "${2:-../shared/corpora}")
[ -f "$corpora/MANIFEST.tsv" ] || { echo "no $corpora/MANIFEST.tsv" >&2; exit 2; }
# squawk's binary itself: a version manager's shim (pyenv, asdf) is a shell script that adds
# about 60 ms to each of its invocations, more than squawk's own time on a small input.
# SQUAWK=/path/to/squawk overrides.
squawk=${SQUAWK:-$(command -v squawk || true)}
[ -n "$squawk" ] || { echo "squawk not found: pip install squawk-cli (or set SQUAWK)" >&2; exit 2; }
if [ "$(head -c 2 "$squawk")" = '#!' ]; then
  real=$( (pyenv which squawk || asdf which squawk) 2>/dev/null || true)
  [ -n "$real" ] && [ "$(head -c 2 "$real")" != '#!' ] || {
    echo "$squawk is a launcher script, not squawk: set SQUAWK to the binary" >&2; exit 2; }
  squawk=$real
fi
echo "squawk: $squawk ($("$squawk" --version))"
[ -x /usr/bin/time ] || { echo "GNU time not found: apt-get install time" >&2; exit 2; }
command -v git >/dev/null || { echo "git not found" >&2; exit 2; }

cargo build --release -q --bin migrate
migrate=$PWD/target/release/migrate
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# the replay cache of `migrate lint` (change sets on a history) lives with the run
export SLUICE_CACHE_DIR=$work/cache

# run NAME CMD...: one timed run, "wall_s peak_kb" appended to $work/NAME.t
run() {
  local name=$1; shift
  /usr/bin/time -f "%e %M" -o "$work/time" "$@" > /dev/null 2>&1 || true
  tail -n 1 "$work/time" >> "$work/$name.t"
}
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
report() { # label, files, name
  local wall mb
  wall=$(cut -d' ' -f1 "$work/$3.t" | median)
  mb=$(cut -d' ' -f2 "$work/$3.t" | median | awk '{ printf "%.1f", $1 / 1024 }')
  printf '%-7s %-7s %6d files  wall %6.3f s  peak %6s MB  (median of %d)\n' "$1" "$3" "$2" "$wall" "$mb" "$repeat"
}
# bench LABEL FILES SQUAWK_FILES SLUICE_CMD... -- SQUAWK_CMD...: alternate the two, print both
# medians
bench() {
  local label=$1 n=$2 ns=$3; shift 3
  local ours=() theirs=()
  while [ "$1" != -- ]; do ours+=("$1"); shift; done
  shift
  theirs=("$@")
  rm -f "$work/sluice.t" "$work/squawk.t"
  for _ in $(seq 1 "$repeat"); do
    run sluice "${ours[@]}"
    [ ${#theirs[@]} -eq 0 ] || run squawk "${theirs[@]}"
  done
  report "$label" "$n" sluice
  [ ${#theirs[@]} -eq 0 ] || report "$label" "$ns" squawk
}

if [ "$mode" = files ] || [ "$mode" = all ]; then
  d=$work/files
  awk -F'\t' '$2 == "pg" && $3 == "up" { print $5 }' "$corpora/MANIFEST.tsv" > "$work/list"
  for i in $(seq 1 "$copies"); do
    while read -r f; do
      mkdir -p "$d/c$i/$(dirname "$f")"
      cp "$corpora/$f" "$d/c$i/$f"
    done < "$work/list"
  done
  (cd "$d" && find . -name '*.sql' | sort > ../files.list)
  n=$(wc -l < "$work/files.list")
  cd "$d"
  bench files "$n" "$n" xargs -d '\n' -a ../files.list "$migrate" lint --format json --dialect postgres -- \
    -- xargs -d '\n' -a ../files.list "$squawk" --reporter json
  cd - > /dev/null
fi

# the migration directories of the 7 PostgreSQL projects (kratos mixes dialects in one directory:
# its *.postgres.* files only)
pg_dirs="authelia/internal/storage/migrations/postgres chirpstack/chirpstack/migrations_postgres
crates.io/migrations ente/server/migrations kratos/persistence/sql/migrations/sql lemmy/migrations
vaultwarden/migrations/postgresql"
copy_dir() { # relative dir, destination root
  mkdir -p "$2/$1"
  case $1 in
    kratos/*) cp "$corpora/$1"/*.postgres.*sql "$2/$1/" ;;
    *) cp -r "$corpora/$1/." "$2/$1/" ;;
  esac
}

if [ "$mode" = dirs ] || [ "$mode" = all ]; then
  d=$work/dirs
  : > "$work/dirs.list"
  for i in $(seq 1 "$copies"); do
    for dir in $pg_dirs; do
      copy_dir "$dir" "$d/c$i"
      echo "c$i/$dir" >> "$work/dirs.list"
    done
  done
  (cd "$d" && find . -name '*up.sql' | sort > ../ups.list)
  n=$(find "$d" -name '*.sql' | wc -l)
  cd "$d"
  bench dirs "$n" "$(wc -l < ../ups.list)" xargs -d '\n' -a ../dirs.list "$migrate" lint --format gcc --dialect postgres -- \
    -- xargs -d '\n' -a ../ups.list "$squawk" --reporter json
  cd - > /dev/null
fi

if [ "$mode" = pr ] || [ "$mode" = all ]; then
  d=$work/pr
  copy_dir lemmy/migrations "$d"
  git -C "$d" init -q
  git -C "$d" add -A
  git -C "$d" -c user.name=bench -c user.email=bench@localhost commit -q -m history
  new=$d/lemmy/migrations/2099-01-01-000000_bench
  mkdir -p "$new"
  printf 'ALTER TABLE person ADD COLUMN bench_note text;\nCREATE INDEX idx_person_bench_note ON person (bench_note);\n' > "$new/up.sql"
  printf 'ALTER TABLE person DROP COLUMN bench_note;\n' > "$new/down.sql"
  n=$(find "$d" -name '*.sql' | wc -l)
  cd "$d"
  "$migrate" lint --format gcc --dialect postgres --base HEAD lemmy/migrations > /dev/null 2>&1 || true
  bench pr "$n" 1 "$migrate" lint --format gcc --dialect postgres --base HEAD lemmy/migrations \
    -- "$squawk" --reporter json "$new/up.sql"
  bench pr-cold "$n" 1 env SLUICE_CACHE_DIR=off "$migrate" lint --format gcc --dialect postgres \
    --base HEAD lemmy/migrations --
  cd - > /dev/null
fi
