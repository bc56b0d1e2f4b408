#!/usr/bin/env bash
# The end-to-end benchmark of issue 8: `tsload validate` against `cat`, on
# the benchmark file of ../shared/bench (1 GiB), its bad-row variant, a
# 4 GiB file for peak RSS, and `--emit out.parquet`. Run from anywhere:
#
#   just bench            # or: bash scripts/bench.sh
#
# What it does (docs/performance.md explains the method):
#   1. generates bench-data/ts_1g.csv and bench-data/ts_1g_bad.csv once with
#      ../shared/bench/gen_csv.py (--size 1GiB, and --bad-rate 0.0001); the
#      4 GiB input is the 1 GiB file's header and its data rows four times,
#      streamed through a pipe to `validate -`:
#        { cat ts_1g.csv; for i in 1 2 3; do tail -n +2 ts_1g.csv; done; }
#      and, written once to bench-data/ts_4g.csv, read as a file (by offset);
#   2. builds the release binary;
#   3. checks the results once (row counts, every generated defect found);
#   4. settles the page cache (drops each file's cached pages and reads it
#      back once: the same state in every run, see docs/performance.md);
#      times, in one hyperfine invocation per round (warm cache), `cat FILE`
#      and `tsload validate ../shared/bench/task.json FILE --format json`
#      with --threads 1 and 2, on both files; then --emit out.parquet with
#      `cat` in one more invocation;
#   5. measures the peak RSS of each command (getrusage of the child);
#   6. prints GB/s, rows/s, the ratio to `cat` (within each round, then the
#      median over rounds) and peak RSS, with the load average.
#
# Knobs (environment): BENCH_DATA (bench-data), TSLOAD_SHARED (../shared),
# BENCH_ROUNDS (3), BENCH_RUNS (3 runs per command per round),
# BENCH_PARQUET_RUNS (2 runs of --emit parquet, after 1 warm-up), BENCH_4G
# (1; 0 skips the 4 GiB run), TSLOAD_BIN (use this binary instead of
# building one).
set -euo pipefail
cd "$(dirname "$0")/.."

SHARED=${TSLOAD_SHARED:-../shared}
DATA=${BENCH_DATA:-bench-data}
ROUNDS=${BENCH_ROUNDS:-3}
RUNS=${BENCH_RUNS:-3}
BIG=${BENCH_4G:-1}
TASK="$SHARED/bench/task.json"
GEN="$SHARED/bench/gen_csv.py"
REPORT=scripts/bench_report.py

for tool in python3 hyperfine cargo; do
    command -v "$tool" >/dev/null || {
        echo "bench: \`$tool\` is needed" >&2
        exit 2
    }
done
[ -f "$GEN" ] && [ -f "$TASK" ] || {
    echo "bench: $GEN and $TASK are needed (set TSLOAD_SHARED)" >&2
    exit 2
}
mkdir -p "$DATA"

# 1. Inputs, generated once (a .tmp file first, so that an interrupted run
# does not leave a truncated input behind).
gen() { # out, extra generator arguments...
    local out=$1
    shift
    if [ ! -s "$out" ]; then
        echo "bench: generating $out" >&2
        python3 "$GEN" --size 1GiB "$@" --out "$out.tmp" 2>"$out.log"
        mv "$out.tmp" "$out"
    fi
}
gen "$DATA/ts_1g.csv"
gen "$DATA/ts_1g_bad.csv" --bad-rate 0.0001

# 2. The binary.
if [ -n "${TSLOAD_BIN:-}" ]; then
    BIN=$TSLOAD_BIN
else
    cargo build --release --locked --bin tsload
    BIN="${CARGO_TARGET_DIR:-target}/release/tsload"
fi
[ -x "$BIN" ] || {
    echo "bench: no binary at $BIN" >&2
    exit 2
}

GOOD="$DATA/ts_1g.csv"
BAD="$DATA/ts_1g_bad.csv"
PARQUET="$DATA/out.parquet"
V="$BIN validate $TASK"

# 3. Correctness first: counts, and every generated defect found.
python3 "$REPORT" check --bin "$BIN" --task "$TASK" \
    --good "$GOOD" --bad "$BAD" --bad-log "$BAD.log" --out "$DATA/check.json"

# Warm the page cache, in one known state: each file's cached pages dropped
# and read back once (`settle`; an aged cache made `cat` twice as slow).
python3 "$REPORT" settle "$GOOD" "$BAD"

# 4. Throughput: every command in each hyperfine invocation, rounds repeated
# so that a burst of load on the shared machine shows as a spread.
rm -f "$DATA"/hf-*.json
for round in $(seq 1 "$ROUNDS"); do
    echo "bench: round $round/$ROUNDS, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
    cut -d' ' -f1-3 /proc/loadavg >"$DATA/load-$round.before"
    # Exit code 1 means "failures found" (the bad file): -i keeps going;
    # step 3 has checked the outputs.
    hyperfine -i --style basic --warmup 1 --runs "$RUNS" \
        --export-json "$DATA/hf-$round.json" \
        -n cat "cat $GOOD >/dev/null" \
        -n t1 "$V $GOOD --format json --threads 1 >/dev/null" \
        -n t2 "$V $GOOD --format json --threads 2 >/dev/null" \
        -n cat-bad "cat $BAD >/dev/null" \
        -n bad-t1 "$V $BAD --format json --threads 1 >/dev/null" \
        -n bad-t2 "$V $BAD --format json --threads 2 >/dev/null" \
        >&2
    cut -d' ' -f1-3 /proc/loadavg >"$DATA/load-$round.after"
done

# --emit parquet is slower: its own hyperfine invocation, with `cat` again.
echo "bench: --emit parquet, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
cut -d' ' -f1-3 /proc/loadavg >"$DATA/load-parquet.before"
hyperfine --style basic --warmup 1 --runs "${BENCH_PARQUET_RUNS:-2}" \
    --export-json "$DATA/hf-parquet.json" \
    -n cat "cat $GOOD >/dev/null" \
    -n parquet-t2 "$V $GOOD --format json --threads 2 --emit $PARQUET >/dev/null" \
    >&2
cut -d' ' -f1-3 /proc/loadavg >"$DATA/load-parquet.after"

# 5. Peak RSS, one run each.
RSS_ARGS=(
    --cmd "t1=$V $GOOD --format json --threads 1"
    --cmd "t2=$V $GOOD --format json --threads 2"
    --cmd "bad-t1=$V $BAD --format json --threads 1"
    --cmd "bad-t2=$V $BAD --format json --threads 2"
    --cmd "parquet-t2=$V $GOOD --format json --threads 2 --emit $PARQUET"
)
if [ "$BIG" = 1 ]; then
    # 4 GiB through a pipe: `exec` makes tsload the measured process.
    FOUR="cat $GOOD; for i in 1 2 3; do tail -n +2 $GOOD; done"
    # And the same bytes as a file, read by offset like any local file.
    BIGFILE="$DATA/ts_4g.csv"
    if [ ! -s "$BIGFILE" ]; then
        bash -c "$FOUR" >"$BIGFILE.tmp"
        mv "$BIGFILE.tmp" "$BIGFILE"
    fi
    python3 "$REPORT" settle "$BIGFILE"
    RSS_ARGS+=(
        --cmd "4g-pipe-t1=bash -c 'exec $V - --format json --threads 1 < <($FOUR)'"
        --cmd "4g-pipe-t2=bash -c 'exec $V - --format json --threads 2 < <($FOUR)'"
        --cmd "4g-file-t1=$V $BIGFILE --format json --threads 1"
        --cmd "4g-file-t2=$V $BIGFILE --format json --threads 2"
    )
fi
python3 "$REPORT" rss "${RSS_ARGS[@]}" --out "$DATA/rss.json"
rm -f "$PARQUET"

# 6. The table.
python3 "$REPORT" report --data "$DATA" --good "$GOOD" --bad "$BAD" --rounds "$ROUNDS" |
    tee "$DATA/results.md"
