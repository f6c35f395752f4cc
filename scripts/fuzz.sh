#!/usr/bin/env bash
# Runs the coverage-guided fuzz targets in fuzz/ one after another (docs/fuzzing.md).
#
#   scripts/fuzz.sh [TARGET] [SECONDS]     default: every target, 600 seconds each
#
# Needs a nightly toolchain (`rustup toolchain install nightly`); installs cargo-fuzz if it is
# missing. Builds and runs at the lowest priority with one worker, so a laptop stays usable.
# Seeds are regenerated into fuzz/corpus/<target>/ by fuzz/src/make_seeds.rs; crashes land in
# fuzz/artifacts/<target>/. Neither is committed: each crash found becomes a test in
# tests/fuzz_regressions.rs.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"

target="${1:-all}"
seconds="${2:-600}"
all=(otp_payload migration_batch vault_file image_file luma_frame portal_bodies)

command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"

# The longest input worth trying per target: text up to what parse_key_link reads, whole vault
# files, images big enough to hold a real QR code, frames up to 512×512.
max_len() {
  case "$1" in
    otp_payload | migration_batch) echo 16384 ;;
    vault_file | portal_bodies) echo 16384 ;;
    image_file) echo 65536 ;;
    luma_frame) echo 262148 ;;
    *) echo 4096 ;;
  esac
}

nice -n 19 cargo +nightly run --quiet --bin make_seeds -- corpus

if [ "$target" = all ]; then targets=("${all[@]}"); else targets=("$target"); fi
for t in "${targets[@]}"; do
  echo "== $t: ${seconds}s"
  mkdir -p "artifacts/$t"
  # -fork=1 keeps going after a crash, a timeout (over 10 s) or running out of memory, and
  # collects each in artifacts/ instead of stopping at the first.
  nice -n 19 cargo +nightly fuzz run "$t" -- \
    -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -max_len="$(max_len "$t")" \
    -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
    -artifact_prefix="artifacts/$t/"
done
