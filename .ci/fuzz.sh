#!/usr/bin/env bash
# Builds every cargo-fuzz target and runs each for a fixed budget (STYLE.md section 10).
# A crash fails CI; turn it into a named regression test before fixing it.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
export RUSTC_BOOTSTRAP=1
if ! command -v cargo-fuzz >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked --quiet
fi
targets=$(cargo fuzz list)
# A fixed total budget shared by the targets (Suricata gives fuzzing a fixed budget per
# pull request), so CI time does not grow with every new parser: at least 20 s each.
total="${FUZZ_TOTAL_SECONDS:-600}"
count=$(printf '%s\n' $targets | grep -c .)
seconds="${FUZZ_SECONDS:-$(( total / (count > 0 ? count : 1) ))}"
[ "$seconds" -ge 20 ] || seconds=20
# AddressSanitizer first; a toolchain without its runtime still fuzzes, uninstrumented
# for memory errors (Rust's own checks and our no-panic rule are what the targets test).
sanitizer=()
if ! cargo fuzz build -O; then
  echo "fuzz: AddressSanitizer build failed; building with --sanitizer none"
  sanitizer=(--sanitizer none)
  cargo fuzz build -O "${sanitizer[@]}"
fi
for t in $targets; do
  echo "fuzz: $t for ${seconds}s"
  # pipefail: a crash (non-zero exit) fails CI even though the output is trimmed.
  cargo fuzz run -O "${sanitizer[@]}" "$t" -- -max_total_time="$seconds" -rss_limit_mb=2048 \
    -print_final_stats=0 2>&1 | tail -n 5
done
