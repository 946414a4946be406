#!/usr/bin/env bash
# Fuzzing (issue 18): builds the cargo-fuzz targets of fuzz/ with nightly, seeds their corpora
# at run time, then runs each target for SECONDS (default 30), one after
# the other, and prints executions and crashes per target and in total.
#   scripts/fuzz.sh [SECONDS] [TARGET...]     targets: split sql lint config versions plan
# Seeds: the SQL files of ../shared/corpora (the directory next to the checkout; skipped with a
# message when absent) and the ```toml blocks of the docs, copied under target/fuzz-seeds/ (never
# into git). What the fuzzer learns goes to fuzz/corpus/<target>/ (git-ignored), and a crash
# leaves its input in fuzz/artifacts/<target>/: the script then exits 1, naming the file and the
# command that reproduces it. FUZZ_JOBS=2 runs two targets at once (the default, 1, leaves the
# machine's other core to its other users). FUZZ_SANITIZER=address builds with AddressSanitizer;
# the default, none, keeps libFuzzer's coverage but not ASan: the code is safe Rust
# (unsafe_code = "forbid"), so the bugs to find are panics and broken properties, and without
# ASan the targets run 3 to 5 times as many inputs per second and build much faster (figures in
# docs/faults.md). The build goes to a target directory outside the checkout, kept between runs
# (SLUICE_FUZZ_TARGET_DIR, default ~/.cache/sluice/fuzz-target): a new clone compiles the
# fuzzed crates again, not their 290 dependencies (a cold build 287 s, with the dependencies
# kept 80 s, 2026-12-07); the directory is emptied when it passes 8 GB.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

secs=${1:-30}; shift || true
targets=("$@")
all=(split sql lint config versions plan)
[ ${#targets[@]} -gt 0 ] || targets=("${all[@]}")
jobs=${FUZZ_JOBS:-1}
sanitizer=${FUZZ_SANITIZER:-none}
for t in "${targets[@]}"; do
  [[ " ${all[*]} " == *" $t "* ]] || { echo "unknown fuzz target '$t'; the targets are: ${all[*]}" >&2; exit 2; }
done

if ! cargo +nightly --version >/dev/null 2>&1; then
  echo "fuzzing needs the nightly toolchain: rustup toolchain install nightly" >&2; exit 2
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "==> installing cargo-fuzz (cargo install --locked cargo-fuzz)" >&2
  cargo install --locked cargo-fuzz
fi

# --- seeds --------------------------------------------------------------------------------
seeds=$repo/target/fuzz-seeds
corpora=$(cd .. && pwd)/shared/corpora
if [ ! -f "$seeds/.done" ]; then
  rm -rf "$seeds"; mkdir -p "$seeds"/{sql,config,versions,none}
  if [ -d "$corpora" ]; then
    echo "==> seeding from $corpora" >&2
    # the SQL files (statements for split/sql/lint/plan) and, for versions, each file's
    # directory and name: the target reads `<dir>\n<file>\n<text>` after a layout byte
    # the corpora walked once; one cp for all (names that meet get numbered copies); the loop
    # uses shell builtins only (3,000 files: a process per file and step took 20 s)
    mapfile -d '' sql_files < <(find "$corpora" -type f -name '*.sql' -size -16k -print0)
    printf '%s\0' "${sql_files[@]}" | xargs -0 cp --backup=numbered -t "$seeds/sql"
    for f in "${sql_files[@]}"; do
      rel=${f#"$corpora"/}; key=${rel//\//_}
      dir=${f%/*}; head=
      IFS= read -r -d '' -N 512 head <"$f" || true
      printf '\001%s\n%s\n%s' "${dir##*/}" "${f##*/}" "$head" >"$seeds/versions/$key"
    done
    find "$corpora" -type f -name '*.toml' -print0 | while IFS= read -r -d '' f; do
      rel=${f#"$corpora"/}; cp "$f" "$seeds/config/${rel//\//_}"
    done
  else
    echo "==> $corpora not found: no corpus seeds (the fuzzer starts from the docs' examples and scratch)" >&2
  fi
  # the sluice.toml / backfill.toml examples of the docs
  awk -v dir="$seeds/config" '
    FNR == 1 { name = FILENAME; gsub("/", "_", name) }
    /^```toml/ { n++; on = 1; next }
    /^```/ { on = 0 }
    on { print > (dir "/doc-" name "-" n ".toml") }' README.md docs/*.md
  touch "$seeds/.done"
fi
seed_dir() { # the seed directory of a target
  case $1 in
    config) echo "$seeds/config" ;;
    versions) echo "$seeds/versions" ;;
    plan) echo "$seeds/none" ;; # its input is a list of generated statements, not SQL text
    *) echo "$seeds/sql" ;;
  esac
}

# --- build --------------------------------------------------------------------------------
fuzz_target=${SLUICE_FUZZ_TARGET_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sluice/fuzz-target}
if ! mkdir -p "$fuzz_target" 2>/dev/null || [ ! -w "$fuzz_target" ]; then
  echo "==> $fuzz_target is not writable: building in fuzz/target (cold)" >&2
  fuzz_target=$repo/fuzz/target
  mkdir -p "$fuzz_target"
fi
# each checkout path adds its own build of the workspace crates (about 270 MB): bounded here
if [ "$(du -sm "$fuzz_target" | cut -f1)" -gt 8192 ]; then
  echo "==> $fuzz_target is over 8 GB: emptied (the build starts cold)" >&2
  rm -rf "${fuzz_target:?}"/*
fi
echo "==> cargo +nightly fuzz build -O -s $sanitizer --target-dir $fuzz_target" >&2
start=$(date +%s)
cargo +nightly fuzz build -O -s "$sanitizer" --target-dir "$fuzz_target" >&2
echo "==> built in $(( $(date +%s) - start )) s" >&2

# --- run ----------------------------------------------------------------------------------
run_one() { # run_one <target>: prints "<target> <executions> <status> [artifact]"
  local t=$1 log=fuzz/artifacts/$1.log
  mkdir -p "fuzz/artifacts/$t" "fuzz/corpus/$t" "$(seed_dir "$t")"
  local status=ok
  # the first directory receives new inputs; the seed directory is only read
  cargo +nightly fuzz run -O -s "$sanitizer" --target-dir "$fuzz_target" "$t" "fuzz/corpus/$t" "$(seed_dir "$t")" -- \
    -max_total_time="$secs" -max_len=8192 -rss_limit_mb=2048 -timeout=30 \
    -print_final_stats=1 >"$log" 2>&1 || status=crash
  local execs artifact
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -n 1 || true)
  [ -n "$execs" ] || execs=$(grep -o '^#[0-9]*' "$log" | tr -d '#' | tail -n 1 || true)
  artifact=$(grep -o 'Test unit written to [^ ]*' "$log" | awk '{print $NF}' | tail -n 1 || true)
  echo "$t ${execs:-0} $status ${artifact:-}"
}
export -f run_one seed_dir; export secs seeds sanitizer fuzz_target

results=$(printf '%s\n' "${targets[@]}" | xargs -P "$jobs" -I{} bash -c 'run_one {}')
total=0; crashes=0
printf '%-9s %14s  %s\n' target executions crashes
while read -r t n status artifact; do
  total=$((total + n))
  if [ "$status" = ok ]; then
    printf '%-9s %14s  %s\n' "$t" "$n" 0
  else
    crashes=$((crashes + 1))
    printf '%-9s %14s  %s\n' "$t" "$n" "1: ${artifact:-see fuzz/artifacts/$t.log}"
  fi
done <<<"$results"
printf '%-9s %14s  %s\n' total "$total" "$crashes"
echo "fuzz: $total executions in ${#targets[@]} target(s), $secs s each, $crashes crash(es)"
if [ "$crashes" -gt 0 ]; then
  while read -r t _ status artifact; do
    [ "$status" = ok ] && continue
    echo "fuzz: $t crashed; log: fuzz/artifacts/$t.log" >&2
    if [ -n "$artifact" ]; then
      echo "  input: $artifact" >&2
      echo "  reproduce: cargo +nightly fuzz run -O -s $sanitizer --target-dir $fuzz_target $t $artifact" >&2
      echo "  shrink:    cargo +nightly fuzz tmin -O -s $sanitizer --target-dir $fuzz_target $t $artifact" >&2
    fi
  done <<<"$results"
  exit 1
fi
