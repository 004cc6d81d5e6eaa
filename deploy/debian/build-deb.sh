#!/usr/bin/env bash
# Builds the Debian package: target/debian/mizuban_<version>-1_<arch>.deb.
# Needs cargo-deb (`cargo install cargo-deb --locked`) and libpcap-dev.
#
# Three steps because the man pages and completions come from the built binary itself
# (src/gen_docs.rs), so they always match its --help: build, generate, package.
set -euo pipefail
cd "$(dirname "$0")/../.."
target_dir="${CARGO_TARGET_DIR:-target}"

cargo build --release --locked --features live --bin mizuban
rm -rf target/generated
"$target_dir/release/mizuban" --generate-docs target/generated
# --dbgsym: the release profile keeps limited debug info (debug = 1); it goes to a separate
# mizuban-dbgsym package, so the appliance gets a stripped binary and crashes stay
# readable for whoever installs the symbols.
cargo deb --no-build --locked --dbgsym "$@"
