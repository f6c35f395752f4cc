#!/usr/bin/env bash
# Builds (and with `run`, installs and starts) the Android app with cargo-apk.
#
#   android/build.sh            debug APK for arm64 phones
#   android/build.sh --release  release APK (set CARGO_APK_RELEASE_KEYSTORE and
#                               CARGO_APK_RELEASE_KEYSTORE_PASSWORD to sign it)
#   android/build.sh run        build, install on the phone adb sees, start, follow the log
#
# Needs the Android SDK (platform 35 and build-tools), the NDK, a JDK (17 or later) and network
# access for Skia's prebuilt binaries; see android/README.md for the exact steps.
set -euo pipefail
cd "$(dirname "$0")"

command=build
if [ "${1:-}" = run ] || [ "${1:-}" = build ]; then
  command=$1
  shift
fi

missing=0
for var in ANDROID_HOME ANDROID_NDK_ROOT; do
  if [ -z "${!var:-}" ] || [ ! -d "${!var}" ]; then
    echo "android/build.sh: set $var to your Android ${var#ANDROID_} folder (see android/README.md)" >&2
    missing=1
  fi
done
if ! command -v javac >/dev/null; then
  echo "android/build.sh: javac not found; Slint's Android backend compiles a Java helper (install a JDK 17+)" >&2
  missing=1
fi
[ "$missing" -eq 0 ] || exit 2

rustup target add aarch64-linux-android
if ! cargo apk version >/dev/null 2>&1; then
  cargo install cargo-apk --version 0.10.0 --locked
fi

# Same dependency versions as the desktop build.
cp ../Cargo.lock Cargo.lock

# cargo-apk names the NDK by either variable.
export ANDROID_NDK_HOME="${ANDROID_NDK_HOME:-$ANDROID_NDK_ROOT}"
export ANDROID_SDK_ROOT="${ANDROID_SDK_ROOT:-$ANDROID_HOME}"

cargo apk "$command" --lib --target aarch64-linux-android "$@"
