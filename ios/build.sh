#!/usr/bin/env bash
# Builds the iOS app's executable with cargo.
#
#   ios/build.sh [--release]   from a shell: builds `pocketpass` for iPhones (aarch64-apple-ios)
#                              and for the simulator on Apple-silicon Macs (aarch64-apple-ios-sim)
#   ios/build.sh xcode         from Xcode's build phase (project.yml): builds for the platform
#                              and configuration Xcode is building, and copies the executable
#                              into the app bundle
#
# Needs macOS with Xcode, XcodeGen, rustup, and network access for Skia's prebuilt binaries;
# see ios/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

build() { # build TRIPLE PROFILE
  # ios-backend: Slint's winit backend with Skia, which the library leaves out unless asked
  # (CI type-checks everything else without Xcode; see ios/README.md).
  local args=(build --bin pocketpass --target "$1" --features ios-backend)
  [ "$2" = release ] && args+=(--release)
  rustup target add "$1"
  # Xcode's environment names the iOS SDK; host build scripts must not link against it.
  env -u SDKROOT -u LIBRARY_PATH cargo "${args[@]}"
}

target_dir() {
  cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])'
}

if [ "${1:-}" = xcode ]; then
  : "${PLATFORM_NAME:?run from Xcode, or without the xcode argument}"
  profile=debug
  [ "${CONFIGURATION:-Debug}" = Release ] && profile=release
  case "$PLATFORM_NAME" in
    iphoneos) triple=aarch64-apple-ios ;;
    iphonesimulator)
      if [ "${NATIVE_ARCH_ACTUAL:-$(uname -m)}" = x86_64 ]; then triple=x86_64-apple-ios; else triple=aarch64-apple-ios-sim; fi ;;
    *) echo "ios/build.sh: unknown platform $PLATFORM_NAME" >&2; exit 2 ;;
  esac
  build "$triple" "$profile"
  cp "$(target_dir)/$triple/$profile/pocketpass" "$TARGET_BUILD_DIR/$EXECUTABLE_PATH"
  exit 0
fi

profile=debug
[ "${1:-}" = --release ] && profile=release
build aarch64-apple-ios "$profile"
build aarch64-apple-ios-sim "$profile"
echo "Built: $(target_dir)/{aarch64-apple-ios,aarch64-apple-ios-sim}/$profile/pocketpass"
echo "Next: cd ios && xcodegen generate && open PocketPass.xcodeproj"
