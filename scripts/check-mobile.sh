#!/usr/bin/env bash
# What CI can prove about the phone apps on a machine without the Android SDK/NDK, a JDK, Xcode
# or Skia's binaries (issues 7 and 16; android/README.md and ios/README.md say what this does
# and does not cover). For aarch64-linux-android and aarch64-apple-ios:
#  - the library without the `ui` feature (otp, vault, scan, clock, transfer, and the platform
#    glue: the NDK Camera2 frame source, the JNI permission calls, FLAG_SECURE, logcat; the iOS
#    backup exclusion and unified log) passes clippy with -D warnings;
#  - the library with `ui` but no Slint platform backend passes clippy with -D warnings: the
#    .slint screens compiled to Rust by slint-build, the UI flow, adapters, controller and
#    worker, the platform glue and the camera sources. This is what the issue's
#    `cargo check --lib --target T --no-default-features --features ui` proves, and more:
#    clippy runs the same build scripts and the same type-check (any error fails it) and then
#    its lints, so the separate `cargo check` is not run as well;
#  - the Android manifest tables, the Info.plist, the XcodeGen spec and the icons pass
#    scripts/lint-mobile.py.
# Not checked here: Slint's backends (`android-backend`: android-activity, whose build needs
# javac and the SDK's d8, and Skia, whose build downloads binaries; `ios-backend`: winit with
# Skia), nokhwa's iOS camera (`ios-camera`: Objective-C, needs Xcode), linking, packaging and
# running. Nothing is linked: that needs the NDK and Xcode.
set -euo pipefail
cd "$(dirname "$0")/.."

rustup target add aarch64-linux-android aarch64-apple-ios
for target in aarch64-linux-android aarch64-apple-ios; do
  echo "-- $target: clippy -D warnings, library without ui (domain modules and platform glue; on Android also the Camera2 source)"
  cargo clippy --lib --no-default-features --target "$target" -- -D warnings
  echo "-- $target: clippy -D warnings, library with ui and no Slint backend (.slint screens, ui flow and adapters, platform glue; on Android also the Camera2 source); covers cargo check --lib --target $target --no-default-features --features ui"
  cargo clippy --lib --no-default-features --features ui --target "$target" -- -D warnings
done
echo "-- packaging files (scripts/lint-mobile.py)"
python3 scripts/lint-mobile.py
echo "-- check-mobile: passed. Not checked here (needs the SDKs): Slint's android-backend and ios-backend, ios-camera, linking, APK/IPA, running"
