#!/usr/bin/env bash
# Builds the Debian packages (scripts/package-deb.sh, given the same options), installs them on
# this machine with apt, checks what they installed, and purges them again (issue 15): the
# installed binaries run, the desktop entry and the AppStream metainfo validate, the man pages,
# completions and icons are where desktops look for them, the portal's unit is installed but not
# enabled and its example users file is accepted, and nothing is left afterwards.
#
# Needs root (CI runs it as root; elsewhere through sudo) and a machine where the packages are
# not installed already: it removes them at the end.
#
# Usage: scripts/check-deb.sh [package-deb.sh options]; CI: scripts/check-deb.sh --profile dev --no-build
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
for p in pocketpass pocketpass-portal; do
  if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
    echo "check-deb: $p is installed on this machine already; this check would remove it at the end. Remove it first (apt-get purge $p)." >&2
    exit 1
  fi
done

out=$(scripts/package-deb.sh "$@")
echo "$out"
mapfile -t debs < <(echo "$out" | sed -n 's/.* \(\/[^ ]*\.deb\)$/\1/p')
[ "${#debs[@]}" -eq 2 ] || { echo "check-deb: expected the paths of two packages from package-deb.sh" >&2; exit 1; }
for deb in "${debs[@]}"; do
  echo "check-deb: $(basename "$deb"): $(du -k "$deb" | cut -f1) KiB; depends on: $(dpkg-deb -f "$deb" Depends)"
done

# Purge even when a check below fails, so that a failed run leaves the machine as it found it.
cleanup() { DEBIAN_FRONTEND=noninteractive $SUDO apt-get purge -y -qq pocketpass pocketpass-portal >/dev/null || true; }
trap cleanup EXIT
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${debs[@]}"

fail() { echo "check-deb: $*" >&2; exit 1; }
echo "check-deb: the installed programs run"
/usr/bin/pocketpass --version
/usr/bin/pocketpass --help >/dev/null
/usr/bin/pocketpass-portal --version
/usr/bin/pocketpass-portal --help >/dev/null
# The window, on a virtual X server: still open after 5 s (timeout's 124) means it came up with
# the libraries the package depends on; a missing one ends it at once with an error.
if command -v xvfb-run >/dev/null; then
  vault=$(mktemp -d)
  status=0
  xvfb-run -a timeout 5 /usr/bin/pocketpass --data-dir "$vault" || status=$?
  rm -rf "$vault"
  [ "$status" -eq 124 ] || fail "the installed window did not stay open (exit status $status)"
fi

echo "check-deb: the desktop entry and the AppStream metainfo validate"
desktop-file-validate /usr/share/applications/pocketpass.desktop
# Offline: the metainfo's screenshot links point at the repository, which is not published yet.
appstreamcli validate --pedantic --no-net /usr/share/metainfo/org.pocketpass.app.metainfo.xml

echo "check-deb: icons, man pages and completions are where desktops and shells look"
for size in 16 22 24 32 48 64 128 256 512; do
  icon=/usr/share/icons/hicolor/${size}x${size}/apps/pocketpass.png
  file -b "$icon" | grep -q "PNG image data, $size x $size" || fail "$icon is not a $size px PNG"
done
# One page per command `pocketpass --help` lists, and man finds each by name.
mapfile -t commands < <(/usr/bin/pocketpass --help | sed -n '/^Commands:/,/^$/s/^  \([a-z-]*\) .*/\1/p' | grep -vx help)
[ "${#commands[@]}" -gt 0 ] || fail "no commands in pocketpass --help"
for page in pocketpass "${commands[@]/#/pocketpass-}"; do
  [ -f "/usr/share/man/man1/$page.1.gz" ] || fail "no man page $page(1)"
  MANWIDTH=100 man -P cat "$page" 2>/dev/null | grep -q . || fail "man $page shows nothing"
done
man -P cat pocketpass-code 2>/dev/null | grep -q -- "--at" || fail "man pocketpass-code does not describe --at"
bash -c 'source /usr/share/bash-completion/completions/pocketpass && complete -p pocketpass' >/dev/null ||
  fail "the bash completion does not register for pocketpass"
[ -s /usr/share/zsh/vendor-completions/_pocketpass ] || fail "no zsh completion"
[ -s /usr/share/fish/vendor_completions.d/pocketpass.fish ] || fail "no fish completion"

echo "check-deb: the portal's unit is installed, not enabled; its example users are accepted"
unit=/usr/lib/systemd/system/pocketpass-portal.service
[ -f "$unit" ] || unit=/lib/systemd/system/pocketpass-portal.service
[ -f "$unit" ] || fail "no pocketpass-portal.service"
if ls /etc/systemd/system/*.wants/pocketpass-portal.service >/dev/null 2>&1; then
  fail "pocketpass-portal.service was enabled by installing"
fi
if command -v systemd-analyze >/dev/null; then
  systemd-analyze verify "$unit"
fi
log=$(mktemp)
/usr/bin/pocketpass-portal --listen 127.0.0.1:0 --db :memory: \
  --users /usr/share/doc/pocketpass-portal/examples/users.toml >"$log" 2>&1 &
portal=$!
for _ in $(seq 100); do
  grep -q "^Simulated SMS" "$log" && break
  kill -0 "$portal" 2>/dev/null || break
  sleep 0.1
done
kill "$portal" 2>/dev/null || true
wait "$portal" 2>/dev/null || true
grep -q "^Simulated SMS" "$log" || { cat "$log" >&2; rm -f "$log"; fail "the portal refused its example users file"; }
rm -f "$log"

echo "check-deb: purging leaves nothing behind"
trap - EXIT
DEBIAN_FRONTEND=noninteractive $SUDO apt-get purge -y -qq pocketpass pocketpass-portal
for left in /usr/bin/pocketpass /usr/bin/pocketpass-portal /usr/share/applications/pocketpass.desktop \
  /usr/share/metainfo/org.pocketpass.app.metainfo.xml /usr/share/man/man1/pocketpass.1.gz \
  /etc/default/pocketpass-portal "$unit"; do
  [ ! -e "$left" ] || fail "$left is still there after purging"
done
for p in pocketpass pocketpass-portal; do
  ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || fail "$p is still installed"
done
echo "check-deb: ok"
