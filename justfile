# tsload recipes. `just` lists them.

default:
    @just --list

# Format the code.
fmt:
    cargo fmt --all

# Check formatting without changing files.
fmt-check:
    cargo fmt --all --check

# Clippy on everything, warnings are errors.
lint:
    cargo clippy --workspace --all-targets --locked -- -D warnings

# The whole test suite (the README's command).
test:
    cargo test --workspace --locked

# Docs, warnings are errors.
doc:
    RUSTDOCFLAGS='-D warnings' cargo doc --no-deps --workspace

# What CI runs.
ci:
    bash .ci/run

# Accept changed insta snapshots after review.
snap:
    cargo insta test --accept --workspace

# Validate the shipped example.
example:
    cargo run --release -- validate fixtures/valid/multi-measure-hosts/task.json fixtures/valid/multi-measure-hosts/data.csv

# Micro-benchmarks: `cargo bench -p tsload-csv -p tsload-mapper`.
# End-to-end benchmark of `tsload validate` against `cat` (docs/performance.md); same as `bash scripts/bench.sh`
bench:
    bash scripts/bench.sh

# Instructions per row by part (callgrind on a 20 MB slice; needs valgrind): load-independent
instructions:
    bash scripts/instructions.sh

# Fuzz each target for SECONDS (cargo-fuzz: `cargo install cargo-fuzz --locked`); the corpus is seeded from fixtures/.
fuzz seconds="300":
    fuzz/seed.sh
    cd fuzz && for t in task csv mapper; do RUSTC_BOOTSTRAP=1 cargo fuzz run $t -- -max_total_time={{seconds}} -print_final_stats=1 || exit 1; done

# Build the fuzz targets on stable (what CI checks).
fuzz-check:
    cargo check --manifest-path fuzz/Cargo.toml --locked
