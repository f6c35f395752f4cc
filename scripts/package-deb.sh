#!/usr/bin/env bash
# Builds the Debian packages (issue 15) with cargo-deb, installing a pinned cargo-deb from
# crates.io when it is missing:
#   target/debian/pocketpass_<version>_<arch>.deb         the app: window, terminal commands,
#                                                          menu entry, icons, man pages, completions
#   target/debian/pocketpass-portal_<version>_<arch>.deb  the mock portal, its systemd unit
#                                                          (not enabled) and an example users file
# (under $CARGO_TARGET_DIR instead of target/ when that is set). Install with
#   sudo apt install ./target/debian/pocketpass_*.deb
#
# Usage: scripts/package-deb.sh [--profile NAME] [--no-build]
#   --profile NAME  the cargo profile whose binaries are packaged (default: release)
#   --no-build      package the binaries already built for that profile instead of building
#                   them; CI packages the ones its test run built: --profile dev --no-build
set -euo pipefail
cd "$(dirname "$0")/.."

# Pinned so that every machine makes the same packages; raise it on purpose. 3.8 warns that
# it does not support --profile dev and may refuse it in the future: CI packages dev binaries
# only to check the packages (scripts/check-deb.sh), so check that before raising it.
CARGO_DEB_VERSION=3.8.0

profile=release
build=yes
while [ $# -gt 0 ]; do
  case "$1" in
    --profile)
      [ $# -ge 2 ] || { echo "package-deb: --profile needs a profile name, e.g. --profile release" >&2; exit 2; }
      profile=$2
      shift 2
      ;;
    --no-build) build=no; shift ;;
    -h | --help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "package-deb: unknown option '$1' (options: --profile NAME, --no-build; see --help)" >&2; exit 2 ;;
  esac
done

# cargo-deb computes the packages' dependencies ("$auto") with dpkg-shlibdeps.
if ! command -v dpkg-shlibdeps >/dev/null; then
  echo "package-deb: dpkg-shlibdeps is missing; run scripts/install-deps.sh (it installs dpkg-dev)" >&2
  exit 1
fi
if ! cargo deb --version 2>/dev/null | grep -qx "cargo-deb $CARGO_DEB_VERSION"; then
  echo "package-deb: installing cargo-deb $CARGO_DEB_VERSION from crates.io"
  cargo install cargo-deb --locked --version "$CARGO_DEB_VERSION"
fi

# Cargo's output folder, wherever CARGO_TARGET_DIR or a cargo config puts it.
target_dir=$(cargo metadata --format-version 1 --no-deps |
  sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
[ -n "$target_dir" ] || { echo "package-deb: cargo metadata named no target directory" >&2; exit 1; }
case "$profile" in
  dev) profile_dir=debug ;;
  *) profile_dir=$profile ;;
esac
bin_dir="$target_dir/$profile_dir"

if [ "$build" = yes ]; then
  cargo build --profile "$profile" -p pocketpass --bin pocketpass -p pocketpass-portal --bin pocketpass-portal
fi
for bin in pocketpass pocketpass-portal; do
  if [ ! -x "$bin_dir/$bin" ]; then
    echo "package-deb: $bin_dir/$bin is missing: build it (cargo build --profile $profile) or leave out --no-build" >&2
    exit 1
  fi
done

# The man pages and shell completions come from the binary being packaged (its hidden
# package-files command), so they describe exactly its options. gzip -n leaves out the name
# and time, so the same binary gives the same package.
files="$bin_dir/package-files"
rm -rf "$files"
"$bin_dir/pocketpass" package-files "$files" >/dev/null
gzip -9nf "$files"/man/*.1

# --strip: a dev-profile binary (CI's) carries line tables; the packages never need them.
# cargo-deb prints the path of the package it wrote as its last line.
debs=()
for package in pocketpass pocketpass-portal; do
  debs+=("$(cargo deb --no-build --strip --profile "$profile" -p "$package" --output "$target_dir/debian/" | tail -1)")
done
echo "package-deb: the packages:"
ls -l "${debs[@]}"
