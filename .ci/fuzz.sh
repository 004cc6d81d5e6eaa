#!/usr/bin/env bash
# Builds every cargo-fuzz target and runs each for a fixed budget (STYLE.md section 10).
# A crash fails CI; turn it into a named regression test before fixing it.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
export RUSTC_BOOTSTRAP=1
if ! command -v cargo-fuzz >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked --quiet
fi
seconds="${FUZZ_SECONDS:-60}"
targets=$(cargo fuzz list)
cargo fuzz build -O
for t in $targets; do
  echo "fuzz: $t for ${seconds}s"
  cargo fuzz run -O "$t" -- -max_total_time="$seconds" -rss_limit_mb=2048 -print_final_stats=0 2>&1 | tail -n 3
done
