#!/usr/bin/env bash
# Fuzzing (issue 18): builds the cargo-fuzz targets of fuzz/ with nightly, seeds their
# corpora from ../shared/corpora (generated under fuzz/corpus/, never committed), then runs
# each target for SECONDS (default 30) and prints executions and crashes per target.
#   scripts/fuzz.sh [SECONDS] [TARGET...]      FUZZ_JOBS=2 runs two targets at once
# A crash leaves its input in fuzz/artifacts/<target>/ and makes the script exit 1.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-30}; shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(split sql lint config versions plan)
jobs=${FUZZ_JOBS:-1}

if ! cargo +nightly --version >/dev/null 2>&1; then
  echo "fuzzing needs the nightly toolchain: rustup toolchain install nightly" >&2; exit 2
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "==> installing cargo-fuzz (cargo install --locked cargo-fuzz)" >&2
  cargo install --locked cargo-fuzz
fi

# seeds: every .sql / .toml of the corpora (statements and configs), file names as versions
corpora=../shared/corpora
seed() { # seed <target> <find args...>
  local dir=fuzz/corpus/$1; shift
  mkdir -p "$dir"
  [ -d "$corpora" ] || return 0
  find "$corpora" -type f "$@" -size -64k 2>/dev/null | head -n 3000 | while read -r f; do
    cp "$f" "$dir/$(sha1sum "$f" | cut -c1-16)"
  done
}
if [ ! -d fuzz/corpus ]; then
  echo "==> seeding fuzz/corpus from $corpora" >&2
  for t in split sql lint plan; do seed "$t" -name '*.sql'; done
  seed config \( -name '*.toml' \)
  mkdir -p fuzz/corpus/versions
  if [ -d "$corpora" ]; then
    find "$corpora" -type f -name '*.sql' | head -n 3000 | while read -r f; do
      d=$(basename "$(dirname "$f")"); b=$(basename "$f")
      printf '%s\0%s\0%s' "$d" "$b" "SELECT 1;" > "fuzz/corpus/versions/$(printf '%s/%s' "$d" "$b" | sha1sum | cut -c1-16)"
    done
  fi
fi

echo "==> cargo +nightly fuzz build -O" >&2
start=$(date +%s)
cargo +nightly fuzz build -O >&2
echo "==> built in $(( $(date +%s) - start )) s" >&2

run_one() {
  local t=$1 log=fuzz/artifacts/$1.log
  mkdir -p "fuzz/artifacts/$t"
  if cargo +nightly fuzz run -O "$t" "fuzz/corpus/$t" -- -max_total_time="$secs" -rss_limit_mb=2048 \
      -max_len=65536 -print_final_stats=1 >"$log" 2>&1; then status=ok; else status=CRASH; fi
  local execs
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -n 1)
  printf '%-9s %12s executions  %s\n' "$t" "${execs:-0}" "$status"
}
export -f run_one; export secs
total=0; crashes=0
results=$(printf '%s\n' "${targets[@]}" | xargs -P "$jobs" -I{} bash -c 'run_one {}')
echo "$results"
while read -r t n _ status; do
  total=$((total + n)); [ "$status" = ok ] || crashes=$((crashes + 1))
done <<<"$results"
echo "fuzz: $total executions in total, $crashes crashing target(s), $secs s per target"
[ "$crashes" -eq 0 ]
