#!/usr/bin/env bash
# Lint throughput of `migrate lint` next to squawk on the same files, same machine, same run.
#
#   scripts/bench-vs-squawk.sh [COPIES] [CORPORA_DIR]
#
# Takes the PostgreSQL up files listed in CORPORA_DIR/MANIFEST.tsv (default ../shared/corpora),
# lays COPIES copies of them (default 10: 12,000 files) under a temporary directory, then times
# `migrate lint` (release build) and `squawk` (pip install squawk-cli) over all of them and
# prints wall time and peak memory (GNU time).
set -euo pipefail
cd "$(dirname "$0")/.."
copies=${1:-10}
corpora=${2:-../shared/corpora}
[ -f "$corpora/MANIFEST.tsv" ] || { echo "no $corpora/MANIFEST.tsv" >&2; exit 2; }
command -v squawk >/dev/null || { echo "squawk not found: pip install squawk-cli" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "GNU time not found: apt-get install time" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
awk -F'\t' '$2 == "pg" && $3 == "up" { print $5 }' "$corpora/MANIFEST.tsv" > "$work/list"
for i in $(seq 1 "$copies"); do
  while read -r f; do
    mkdir -p "$work/c$i/$(dirname "$f")"
    cp "$corpora/$f" "$work/c$i/$f"
  done < "$work/list"
done
find "$work" -name '*.sql' | sort > "$work/files"
n=$(wc -l < "$work/files")
cargo build --release -q --bin migrate
migrate=$PWD/target/release/migrate

measure() { # name, command...
  local name=$1; shift
  /usr/bin/time -f "%e %M" -o "$work/time" "$@" > /dev/null 2>&1 || true
  read -r wall kb < <(tail -n 1 "$work/time")
  printf '%-8s %6d files  wall %6.2f s  peak %7.1f MB\n' "$name" "$n" "$wall" "$(echo "$kb / 1024" | bc -l)"
}
cd "$work"
measure sluice xargs -d '\n' -a files "$migrate" lint --format json --dialect postgres --
measure squawk xargs -d '\n' -a files squawk --reporter json
