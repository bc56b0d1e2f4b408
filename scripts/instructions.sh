#!/usr/bin/env bash
# Instructions per row of `tsload validate --threads 1` on a 20 MB slice of
# the benchmark file, by part (callgrind): a measure that the shared
# machine's load does not disturb. Run from anywhere:
#
#   just instructions            # or: bash scripts/instructions.sh
#
# Needs valgrind, and bench-data/ts_1g.csv (made by `just bench`). Prints
# the total and the inclusive counts of the hot functions, per row.
set -euo pipefail
cd "$(dirname "$0")/.."

SHARED=${TSLOAD_SHARED:-../shared}
DATA=${BENCH_DATA:-bench-data}
TASK="$SHARED/bench/task.json"
command -v valgrind >/dev/null || {
    echo "instructions: valgrind is needed" >&2
    exit 2
}
[ -s "$DATA/ts_1g.csv" ] || {
    echo "instructions: $DATA/ts_1g.csv is missing; run \`just bench\` first" >&2
    exit 2
}
SLICE="$DATA/ts_20m.csv"
if [ ! -s "$SLICE" ]; then
    # 20 MB of whole lines.
    head -c 20000000 "$DATA/ts_1g.csv" | head -n -1 >"$SLICE.tmp"
    mv "$SLICE.tmp" "$SLICE"
fi
if [ -n "${TSLOAD_BIN:-}" ]; then
    BIN=$TSLOAD_BIN
else
    cargo build --release --locked --bin tsload
    BIN="${CARGO_TARGET_DIR:-target}/release/tsload"
fi
ROWS=$(($(wc -l <"$SLICE") - 1))
OUT="$DATA/callgrind.out"
valgrind --tool=callgrind --callgrind-out-file="$OUT" \
    "$BIN" validate "$TASK" "$SLICE" --threads 1 --format json >/dev/null 2>"$DATA/callgrind.log"
callgrind_annotate --inclusive=yes "$OUT" 2>/dev/null | python3 -c '
import re, sys
rows = int(sys.argv[1])
want = ["PROGRAM TOTALS", "ChunkChecker::check ", "FastPlan::try_row ", "Parser::parse_record ",
        "chunk::run_chunk ", "FileMerger::push "]
seen = set()
print(f"{rows:,} rows")
for line in sys.stdin:
    m = re.match(r"\s*([\d,]+)\s", line)
    if not m:
        continue
    for w in want:
        if w in line + " " and w not in seen and ("[" in line or w == "PROGRAM TOTALS"):
            seen.add(w)
            n = int(m.group(1).replace(",", ""))
            print(f"{w.strip():24} {n / rows:8.0f} instructions per row")
' "$ROWS"
