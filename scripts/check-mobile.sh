#!/usr/bin/env bash
# What CI can prove about the phone apps on a machine without the Android NDK, Xcode or Skia
# (issue 7; android/README.md and ios/README.md say what this does and does not cover):
#  - the library without the `ui` feature (otp, vault, scan, and the platform glue: the NDK
#    Camera2 frame source, JNI permission calls, FLAG_SECURE, the iOS backup exclusion, and
#    nokhwa's AVFoundation camera) type-checks and passes clippy for aarch64-linux-android and
#    aarch64-apple-ios; nothing is linked, since that needs the NDK and Xcode;
#  - the Android manifest tables, the Info.plist, the XcodeGen spec and the icons pass
#    scripts/lint-mobile.py.
set -euo pipefail
cd "$(dirname "$0")/.."

rustup target add aarch64-linux-android aarch64-apple-ios
for target in aarch64-linux-android aarch64-apple-ios; do
  echo "-- clippy, library without the ui feature, $target"
  cargo clippy --lib --no-default-features --target "$target" -- -D warnings
done
echo "-- packaging files"
python3 scripts/lint-mobile.py
