#!/usr/bin/env bash
# Instructions per row of `tsload validate --threads 1` on a 20 MB slice of
# the benchmark file, by part (callgrind): a measure that the shared
# machine's load does not disturb. Run from anywhere:
#
#   just instructions            # or: bash scripts/instructions.sh
#
# Needs valgrind, and bench-data/ts_1g.csv (made by `just bench`). Prints
# the total and the inclusive counts of the hot functions, per row.
#
# The slice has fewer distinct keys than the duplicate table holds, so every
# row is hashed and remembered; in the 1 GiB run the table fills early and
# most rows skip that. DUPLICATE_KEYS=3000 (passed as --duplicate-keys)
# makes the table fill on the slice too, for figures like the 1 GiB run's.
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
KEYS=()
if [ -n "${DUPLICATE_KEYS:-}" ]; then
    KEYS=(--duplicate-keys "$DUPLICATE_KEYS")
fi
valgrind --tool=callgrind --callgrind-out-file="$OUT" \
    "$BIN" validate "$TASK" "$SLICE" --threads 1 --format json ${KEYS[@]+"${KEYS[@]}"} >/dev/null 2>"$DATA/callgrind.log"
callgrind_annotate --inclusive=yes "$OUT" 2>/dev/null | python3 -c '
import re, sys
rows = int(sys.argv[1])
# The line of a function itself reads "N (p%)  file:path::function [binary]"; lines
# without the binary are code inlined into another function.
parts = {"PROGRAM TOTALS": "the whole run",
         "ChunkChecker::check": "row checks",
         "FastPlan::try_row": "  of which the fast path",
         "chunk::continue_chunk": "record loop (reader + checks)",
         "Parser::parse_record": "  reader: splitting a record",
         "FileMerger::push": "merging (duplicate table)"}
best = {}
for line in sys.stdin:
    m = re.match(r"\s*([\d,]+) .*?(PROGRAM TOTALS|:(\S+) \[)", line)
    if not m:
        continue
    n = int(m.group(1).replace(",", ""))
    name = m.group(2) if m.group(3) is None else m.group(3)
    for key in parts:
        if name == key or name.endswith("::" + key):
            best[key] = max(best.get(key, 0), n)
print(f"{rows:,} rows of {sys.argv[2]}" + (f" (--duplicate-keys {sys.argv[3]})" if sys.argv[3] else ""))
for key, label in parts.items():
    if key in best:
        print(f"{label:32} {best[key] / rows:6.0f} instructions per row")
' "$ROWS" "$SLICE" "${DUPLICATE_KEYS:-}"
