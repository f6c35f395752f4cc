#!/usr/bin/env bash
# Measures the portal under load against its design limit, on loopback only, bounded in time:
#  1. the argon2id verification rate alone (examples/hash_rate.rs), the ceiling;
#  2. POST /api/validate driven by wrk, 50 connections for 30 s, with the process' memory
#     sampled every second; then 2 connections (one per core) for the latency without queueing;
#     then 100 connections for 10 s, beyond the hash queue's 64 places: the excess is answered
#     503 (Retry-After) at once instead of queueing, and memory stays flat.
# Usage: portal/bench/run.sh [SECONDS]   (needs wrk: apt-get install wrk; and oathtool)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
secs="${1:-30}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
cargo build --release -q -p pocketpass-portal --bin pocketpass-portal --example hash_rate
bin="$CARGO_TARGET_DIR/release/pocketpass-portal"
work="$(mktemp -d)"
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT

echo "== load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== argon2id verifications alone (10 s)"
"$CARGO_TARGET_DIR/release/examples/hash_rate" 10 | tee "$work/hash.txt"

port=18$((RANDOM % 900 + 100))
"$bin" --listen "127.0.0.1:$port" --db "$work/bench.sqlite3" --test-api --no-rate-limits >"$work/out.txt" 2>"$work/err.txt" &
pid=$!
for _ in $(seq 100); do grep -q "^Pocket Pass portal" "$work/out.txt" 2>/dev/null && break; sleep 0.1; done
url="http://127.0.0.1:$port"
api() { curl -sf -b "$work/jar" -c "$work/jar" -H 'content-type: application/json' -X POST "$url$1" -d "$2"; }
api /_test/users '{"username":"bench","full_name":"Bench","password":"bench password 1","phone":"+46700000001"}' >/dev/null
api /api/login '{"username":"bench","password":"bench password 1"}' >/dev/null
code=$(curl -sf "$url/_test/sms?username=bench" | sed 's/.*"code":"\([0-9]*\)".*/\1/')
api /api/login/sms "{\"code\":\"$code\"}" >/dev/null
created=$(api /api/tokens '{"name":"Bench phone"}')
id=$(echo "$created" | sed 's/.*"id":\([0-9]*\).*/\1/')
secret=$(echo "$created" | sed 's/.*secret=\([A-Z2-7]*\).*/\1/')
api "/api/tokens/$id/activate" "{\"otp\":\"$(oathtool --totp -b "$secret")\"}" >/dev/null
echo "== token activated; RSS before load: $(awk '/VmRSS/{print $2" "$3}' /proc/$pid/status)"

( for _ in $(seq "$((secs + 2))"); do awk '/VmRSS/{print $2}' "/proc/$pid/status"; sleep 1; done ) >"$work/rss.txt" &
sampler=$!
cpu_ticks() { awk '{sub(/.*\) /, ""); print $12 + $13}' "/proc/$pid/stat"; }
cpu_before=$(cpu_ticks)
echo "== wrk: 50 connections, $secs s, POST /api/validate"
wrk -t2 -c50 -d"${secs}s" --timeout 10s --latency -s "$here/validate.lua" "$url/api/validate" | tee "$work/wrk50.txt"
cpu_after=$(cpu_ticks)
wait "$sampler"
echo "== RSS during load (KiB): min $(sort -n "$work/rss.txt" | head -1) max $(sort -n "$work/rss.txt" | tail -1) samples $(wc -l <"$work/rss.txt")"
echo "== RSS per second: $(tr '\n' ' ' <"$work/rss.txt")"
echo "== wrk: 2 connections (one per core), 10 s"
wrk -t2 -c2 -d10s --timeout 10s -s "$here/validate.lua" "$url/api/validate" | tee "$work/wrk2.txt"
echo "== wrk: 100 connections, 10 s, beyond the hash queue (64): non-2xx are 503s"
wrk -t2 -c100 -d10s --timeout 10s -s "$here/validate.lua" "$url/api/validate" | tee "$work/wrk100.txt"
echo "== RSS after: $(awk '/VmRSS/{print $2" "$3}' /proc/$pid/status); load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== argon2id verifications alone again (10 s), the ceiling is the mean of both runs"
"$CARGO_TARGET_DIR/release/examples/hash_rate" 10 | tee "$work/hash2.txt"

ceiling=$(cat "$work/hash.txt" "$work/hash2.txt" | sed -n 's/.*= \([0-9.]*\)\/s/\1/p' | awk '{s+=$1} END {print s/NR}')
one=$(cat "$work/hash.txt" "$work/hash2.txt" | sed -n 's/one verification alone: \([0-9.]*\) ms/\1/p' | awk '{s+=$1} END {print s/NR}')
rate=$(sed -n 's/^Requests\/sec: *\([0-9.]*\)/\1/p' "$work/wrk50.txt")
p99=$(sed -n 's/.*p99_ms=\([0-9.]*\).*/\1/p' "$work/wrk50.txt")
p99c2=$(sed -n 's/.*p99_ms=\([0-9.]*\).*/\1/p' "$work/wrk2.txt")
requests50=$(sed -n 's/.*requests=\([0-9]*\).*/\1/p' "$work/wrk50.txt")
errors50=$(sed -n 's/.*non2xx=\([0-9]*\) connect_err=\([0-9]*\) read_err=\([0-9]*\) write_err=\([0-9]*\) timeouts=\([0-9]*\).*/\1 non-2xx, \2+\3+\4 socket errors, \5 timeouts/p' "$work/wrk50.txt")
requests100=$(sed -n 's/.*requests=\([0-9]*\).*/\1/p' "$work/wrk100.txt")
non2xx100=$(sed -n 's/.*non2xx=\([0-9]*\).*/\1/p' "$work/wrk100.txt")
cpu_hash=$(cat "$work/hash.txt" "$work/hash2.txt" | sed -n 's/cpu per verification: \([0-9.]*\) ms/\1/p' | awk '{s+=$1} END {print s/NR}')
awk -v t="$((cpu_after - cpu_before))" -v n="$requests50" -v h="$cpu_hash" 'BEGIN {
  printf "== CPU: portal %.1f ms per /api/validate (%d ticks / %d requests) vs %.1f ms per verification alone: requests cost %.0f%% of a bare hash, so the portal can reach %.0f%% of the ceiling\n", t*10/n, t, n, h, 100*(t*10/n)/h, 100*h/(t*10/n) }'
awk -v c="$ceiling" -v r="$rate" -v o="$one" -v p="$p99" -v q="$p99c2" 'BEGIN {
  printf "== SUMMARY: ceiling %.1f verifications/s; /api/validate %.1f req/s = %.0f%% of it\n", c, r, 100*r/c;
  printf "== p99 at 50 connections %.1f ms = %.1fx one hash (%.1f ms); p99 at 2 connections %.1f ms = %.1fx\n", p, p/o, o, q, q/o;
  printf "== Little'\''s law floor at 50 connections: 50 / %.1f per s = %.0f ms mean\n", r, 50000/r }'
echo "== errors at 50 connections: $errors50"
echo "== beyond the queue, 100 connections: $requests100 requests, $non2xx100 answered 503 (the rest evaluated)"
