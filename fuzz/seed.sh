#!/usr/bin/env bash
# Seeds fuzz/corpus/<target>/ from the repository's fixtures (the corpus is
# git-ignored; libFuzzer adds what it finds beside the seeds).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$here/.."
corpus="$here/corpus"
mkdir -p "$corpus/task" "$corpus/csv" "$corpus/mapper"

# task: every task, model and configuration JSON the repository ships.
for f in "$root"/fixtures/models/*.json "$root"/fixtures/invalid/*.json \
         "$root"/fixtures/valid/*/*.json "$root"/fixtures/emulator/*.json; do
    [ -f "$f" ] && cp "$f" "$corpus/task/$(basename "$(dirname "$f")")-$(basename "$f")"
done

# csv: 8 bytes of dialect and options, then the file (see fuzz_targets/csv.rs).
# Comma/double quote (0,0), semicolon/single quote with escape, tab with
# NULL, and a small record limit.
i=0
for f in "$root"/fixtures/csv/*.csv "$root"/fixtures/valid/*/data.csv; do
    for conf in '\x00\x00\x00\x00\x40\x07\x03\xff' '\x01\x01\x00\x01\x10\x03\x01\xff' \
                '\x03\x00\x00\x02\xff\x20\x10\xff' '\x00\x00\x00\x10\x20\x05\x02\x30'; do
        { printf "$conf"; cat "$f"; } > "$corpus/csv/$i-$(basename "$f")"
        i=$((i + 1))
    done
done

# mapper: the index of the scenario's model (fuzz_targets/mapper.rs MODELS),
# then its data; with and without a table (bit 3) and a low cap (bit 5).
n=0
for dir in multi-measure-hosts crlf-no-final-newline empty-measures mixed-measures tab-separated-nulls; do
    for flags in 0 8 56; do
        { printf "\\x$(printf %02x $((n + flags)))"; cat "$root/fixtures/valid/$dir/data.csv"; } \
            > "$corpus/mapper/$dir-$flags.csv"
    done
    n=$((n + 1))
done
echo "seeded: $(ls "$corpus/task" | wc -l) task, $(ls "$corpus/csv" | wc -l) csv, $(ls "$corpus/mapper" | wc -l) mapper"
