#!/usr/bin/env bash
# Start-up and idle memory of the Pocket Pass window, side by side with Numberstation (Debian's
# GTK 4 TOTP app), in one run on one virtual X server (issue 15, "Kept ahead").
#
#   benches/window-vs-numberstation.sh [POCKETPASS_BINARY]   # default target/release/pocketpass
#
# For each app, RUNS times (default 5), alternating: the time from exec until its top-level
# window is mapped (xwininfo polled every 5 ms), then the resident set after 3 s idle, each on
# an empty data folder (a fresh HOME). Numberstation needs a keyring to start at all: the
# plain-text one of python3-keyrings.alt, in that throw-away HOME. Installs what it needs
# (numberstation, python3-keyrings.alt, x11-utils, xvfb) with apt when missing.
# Timings depend on the machine and its load: compare the two columns of one run.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-target/release/pocketpass}
RUNS=${RUNS:-5}
[ -x "$BIN" ] || { echo "no $BIN: build it first (cargo build --release)" >&2; exit 2; }

missing=()
for p in numberstation python3-keyrings.alt x11-utils xvfb; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

work=$(mktemp -d)
Xvfb -displayfd 3 -screen 0 1280x1024x24 -nolisten tcp 3>"$work/display" 2>/dev/null &
xvfb=$!
trap 'kill $xvfb 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 100); do [ -s "$work/display" ] && break; sleep 0.05; done
export DISPLAY=":$(cat "$work/display")"

# measure NAME TITLE COMMAND...: prints "NAME ms kib" for one start.
measure() {
  local name=$1 title=$2; shift 2
  local home; home=$(mktemp -d "$work/home.XXXX")
  mkdir -p "$home/.local/share/python_keyring"
  printf '[backend]\ndefault-keyring=keyrings.alt.file.PlaintextKeyring\n' >"$home/.local/share/python_keyring/keyringrc.cfg"
  local start end pid
  start=$(date +%s%N)
  env HOME="$home" XDG_DATA_HOME="$home/data" XDG_CONFIG_HOME="$home/config" \
    GDK_BACKEND=x11 NO_AT_BRIDGE=1 GSETTINGS_BACKEND=memory "$@" >/dev/null 2>&1 &
  pid=$!
  until xwininfo -name "$title" 2>/dev/null | grep -q "IsViewable"; do
    sleep 0.005
    kill -0 "$pid" 2>/dev/null || { echo "$name exited before its window showed" >&2; return 1; }
  done
  end=$(date +%s%N)
  sleep 3
  local rss; rss=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")
  kill "$pid"; wait "$pid" 2>/dev/null || true
  echo "$name $(( (end - start) / 1000000 )) $rss"
}

results="$work/results"
for _ in $(seq "$RUNS"); do
  measure pocketpass "Pocket Pass" "$BIN" --data-dir "$work/pp-$RANDOM" >>"$results"
  measure numberstation "Numberstation" numberstation >>"$results"
done

python3 - "$results" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
by = {}
for name, ms, kib in rows:
    by.setdefault(name, []).append((int(ms), int(kib)))
print(f"{'app':<14} {'window mapped (ms)':<26} {'RSS idle (MiB)':<16}")
med = {}
for name in ("pocketpass", "numberstation"):
    ms = [m for m, _ in by[name]]; mib = [k / 1024 for _, k in by[name]]
    med[name] = (statistics.median(ms), statistics.median(mib))
    print(f"{name:<14} {min(ms)}–{max(ms)}, median {statistics.median(ms):<8} {min(mib):.0f}–{max(mib):.0f}")
print(f"ratio (Numberstation / Pocket Pass, medians): start-up {med['numberstation'][0] / med['pocketpass'][0]:.1f}×, "
      f"memory {med['numberstation'][1] / med['pocketpass'][1]:.1f}×")
PY
