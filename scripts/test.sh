#!/usr/bin/env bash
# Runs every test of the workspace, after installing the system packages the tests need.
# Tests that show windows (screen capture) need an X display: without one, Xvfb provides it.
# The Wayland screen-capture test starts its own headless compositor and ignores that display.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
if [ -z "${DISPLAY:-}" ] && command -v xvfb-run >/dev/null; then
  exec xvfb-run -a -s "-screen 0 1280x1024x24" cargo test --workspace "$@"
fi
exec cargo test --workspace "$@"
