#!/usr/bin/env bash
# Installs the Debian packages that building and testing Pocket Pass needs. Idempotent: packages
# already present are skipped, and apt is only touched when something is missing.
set -euo pipefail

# One package a line, with why. Keep this list the single place system packages are named.
PACKAGES=(
  oathtool          # an independent OTP implementation the tests compare codes against
  openssl           # ../shared/bench/unlock-vs-openssl.sh
  strace            # tests/cli.rs injects a failing folder flush (fsync EIO) into a real save
  pkg-config        # -sys crates find their C libraries
  python3-cryptography  # the vault test that runs docs/vault-format.md's decryption script
  python3-pyotp     # the portal test that checks its keys against pyotp's codes
  python3-argon2    # tests/fixtures/transfer/writers: Authenticator Pro's and Proton's exports (Argon2id)
  python3-nacl      # the same writers (Ente's libsodium export) and the secretstream test against PyNaCl
  zbar-tools        # zbarimg, a QR decoder in C that reads our Google Authenticator export codes back
  libclang-dev      # bindgen, for the V4L2 bindings under the camera crate (nokhwa, scan)
  libv4l-dev        # V4L2 headers for the same bindings (camera on Linux)
  xvfb              # the screen-capture test shows a QR code in a window on a virtual X server
  # The Wayland screen-capture test (tests/scan_wayland.rs) runs a real desktop stack:
  dbus-daemon       # its private D-Bus session bus
  sway              # the headless Wayland compositor that shows the QR code
  swaybg            # sway's wallpaper program, which draws the QR code
  grim              # the screenshot program xdg-desktop-portal-wlr runs
  pipewire-bin      # xdg-desktop-portal-wlr will not start without a PipeWire server
  xdg-desktop-portal      # the portal the app asks for the screenshot (and its permission store)
  xdg-desktop-portal-wlr  # the portal's backend for wlroots compositors such as sway
  xdg-desktop-portal-gtk  # the Access backend, without which portal 1.16 offers no Screenshot;
                          # also the FileChooser whose dialog tests/wayland.rs answers
  wtype             # a virtual keyboard on sway: types the path into that file dialog
  xclip             # tests/clipboard.rs reads and writes the X clipboard as other programs do
  fonts-dejavu-core # the app's text (Slint finds system fonts), also in docs/screenshots
  libfontconfig1    # Slint's font lookup
  libxkbcommon-x11-0  # the app window's keyboard handling on X11 (winit loads it at run time)
  chromium          # the end-to-end test's real browser (headless), portal/tests/e2e/main.rs
  chromium-driver   # its WebDriver server, /usr/bin/chromedriver, which the test drives
  # The Debian packages (scripts/package-deb.sh, scripts/check-deb.sh):
  dpkg-dev          # dpkg-shlibdeps, with which cargo-deb computes the packages' dependencies
  desktop-file-utils  # desktop-file-validate, for the menu entry
  appstream         # appstreamcli, for the AppStream metainfo
  man-db            # man, to check that the installed man pages are found
  file              # to check the installed icons' sizes
  curl              # scripts/demo.sh waits until the portal answers
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "install-deps: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
