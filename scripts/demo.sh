#!/usr/bin/env bash
# The pairing demo in one command (issue 15): builds the app and the mock portal (debug, once),
# starts the portal with its test API on a free port, opens the app's window and the portal in
# your browser, and prints the demo login. The portal's output (the simulated SMS codes) follows
# in this terminal. Ctrl-C stops both; so does closing the window.
#
# The app runs on a vault of its own in a temporary folder, removed when the demo stops, so the
# demo never touches your real keys; the folder is printed for `pocketpass --data-dir DIR code`.
#
# Usage: scripts/demo.sh [--no-browser] [--no-window] [--no-build]
#   --no-browser  print the portal's URL instead of opening it in the browser
#   --no-window   do not open the app's window (the portal alone, e.g. for tests)
#   --no-build    use the binaries already built (target/debug) instead of running cargo build
set -euo pipefail
cd "$(dirname "$0")/.."

browser=yes
window=yes
build=yes
for arg in "$@"; do
  case "$arg" in
    --no-browser) browser=no ;;
    --no-window) window=no ;;
    --no-build) build=no ;;
    -h | --help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "demo: unknown option '$arg' (options: --no-browser, --no-window, --no-build; see --help)" >&2; exit 2 ;;
  esac
done

if [ "$window" = yes ] && [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  echo "demo: no display (neither DISPLAY nor WAYLAND_DISPLAY is set): the portal runs without the window"
  window=no
fi
if [ "$build" = yes ]; then
  cargo build -p pocketpass --bin pocketpass -p pocketpass-portal --bin pocketpass-portal
fi
target_dir=$(cargo metadata --format-version 1 --no-deps |
  sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
bin="${target_dir:-target}/debug"
needed=(pocketpass-portal)
[ "$window" = no ] || needed+=(pocketpass)
for b in "${needed[@]}"; do
  [ -x "$bin/$b" ] || { echo "demo: $bin/$b is missing: run cargo build, or leave out --no-build" >&2; exit 1; }
done

state=$(mktemp -d "${TMPDIR:-/tmp}/pocketpass-demo.XXXXXX")
pids=()
# Each child runs in a process group of its own (job control), so Ctrl-C reaches this script
# alone, and the trap below stops each child's whole group: nothing is left behind.
set -m
stop() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do
    kill -TERM -- "-$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$state"
}
trap 'stop; exit 130' INT
trap 'stop; exit 143' TERM
trap stop EXIT

# Port 0: the portal takes a free port and prints its URL, which is read back from its output.
"$bin/pocketpass-portal" --test-api --listen 127.0.0.1:0 --db :memory: >"$state/portal.log" 2>&1 &
pids+=("$!")
portal=$!
url=""
for _ in $(seq 300); do
  url=$(sed -n 's/^Pocket Pass portal: \(http:[^ ]*\)$/\1/p' "$state/portal.log")
  [ -n "$url" ] && break
  kill -0 "$portal" 2>/dev/null || break
  sleep 0.1
done
if [ -z "$url" ]; then
  echo "demo: the portal did not start; its output:" >&2
  cat "$state/portal.log" >&2
  exit 1
fi
# Printing its URL comes just before serving: wait until the login page is served.
for _ in $(seq 100); do
  curl -fsS -o /dev/null "${url}login" 2>/dev/null && break
  sleep 0.1
done
curl -fsS -o /dev/null "${url}login" || { echo "demo: the portal at $url does not answer" >&2; exit 1; }

app=""
if [ "$window" = yes ]; then
  "$bin/pocketpass" --data-dir "$state/app" &
  app=$!
  pids+=("$app")
fi

login=$(sed -n 's/^Demo user: \([^ ]*\)  password: \(.*\)$/\1 \/ \2/p' "$state/portal.log")
echo
echo "Pocket Pass demo"
echo "  portal:     $url  (log in as ${login:-demo / pocketpass-demo}; the SMS code is printed below)"
echo "  SMS outbox: ${url}_test/sms"
if [ "$window" = yes ]; then
  echo "  app:        the window; its demo vault is $state/app"
  echo "              (in a terminal: $bin/pocketpass --data-dir $state/app code)"
fi
echo "  Ctrl-C stops the demo."
echo
if [ "$browser" = yes ]; then
  # The browser is the user's, not the demo's: xdg-open runs in a session of its own and is
  # not stopped with the demo. It hands the URL to a browser and ends, fails at once when it
  # finds none, or stays as the browser it started; only the quick failure is "not opened".
  opened=no
  if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && command -v xdg-open >/dev/null; then
    setsid -w xdg-open "$url" >/dev/null 2>&1 &
    opener=$!
    for _ in $(seq 20); do
      kill -0 "$opener" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$opener" 2>/dev/null; then
      opened=yes
    else
      wait "$opener" && opened=yes
    fi
  fi
  if [ "$opened" = yes ]; then
    echo "demo: opened $url in your browser"
  else
    echo "demo: no browser could be opened here; open $url yourself"
  fi
fi

# The portal's output from here on (the SMS codes), until the demo stops.
tail -n +"$(($(wc -l <"$state/portal.log") + 1))" -f "$state/portal.log" &
pids+=("$!")
# Whichever ends first (the window closed, the portal failed) ends the demo.
if [ -n "$app" ]; then
  wait -n "$portal" "$app" || true
else
  wait "$portal" || true
fi
