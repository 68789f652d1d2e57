#!/usr/bin/env bash
# compare.sh: certdeck check against tlsx and a bare verified handshake
# loop, over the same real nginx fleet, in the same run.
#
#   bash testdata/bench/compare.sh [N] [CONCURRENCY] [REPS]   (defaults 2000 32 5)
#
# Starts one nginx (its own prefix under a temp dir, 127.0.0.1 only) with N
# TLS listeners serving one ECDSA P-256 certificate from a private CA, TLS
# 1.3, one session-ticket key; builds certdeck from this checkout, the bare
# loop (testdata/bench/bareloop: tls.Dial with verification, Go's
# defaults) and tlsx at a pinned version in a throwaway module outside the
# repository; then runs the three REPS times, interleaved (the order
# rotates each repetition, so load from other processes falls on all of
# them alike), and prints each run, the medians and the ratios. Every run
# must succeed on all N endpoints (certdeck check must exit 0).
#
# The nginx column is the CPU its workers spent on each run: certdeck
# offers session tickets (psk_key_exchange_modes) to capture the key name,
# so nginx makes two tickets per connection for it and none for tlsx or
# the bare loop.
#
# What each does per endpoint:
#   tlsx      -sm ctls: one handshake, no verification (peer tool)
#   bare      one handshake, chain + host name verified (the ceiling)
#   certdeck  `certdeck check`: one handshake, chain and host name verified,
#             OCSP staple judged, ticket key name captured; --resumption
#             adds the second handshake that checks resumption
#             ("certdeck+resume" rows, when RESUME=1).
#
# Environment: TLSX_VERSION (default v1.1.6), TLSX_DIR (where tlsx is
# built; default $TMPDIR/certdeck-bench-tlsx-$TLSX_VERSION, reused),
# RESUME=1 to time `check --resumption` as well, BEFORE=<git revision> to
# time `certdeck check` built from that revision too (exported with git
# archive into the temp dir: the repository is not touched), WORKERS (nginx
# worker_processes, default 1), SERVE=1 to only start the fleet, print
# where its files are, and wait (for profiling: `certdeck check --config
# DIR/fleet.yaml --cpuprofile cpu.out`) until interrupted.
set -euo pipefail

N=${1:-2000}
CONC=${2:-32}
REPS=${3:-5}
TLSX_VERSION=${TLSX_VERSION:-v1.1.6}
TLSX_DIR=${TLSX_DIR:-${TMPDIR:-/tmp}/certdeck-bench-tlsx-$TLSX_VERSION}
WORKERS=${WORKERS:-1}
BASE_PORT=${BASE_PORT:-20000}  # below the ephemeral range (32768-60999): no client socket takes one
repo=$(cd "$(dirname "$0")/../.." && pwd)

need() { command -v "$1" >/dev/null || { echo "compare.sh: $1 is required" >&2; exit 1; }; }
need go; need openssl; need /usr/bin/time
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$NGINX" ] || { echo "compare.sh: nginx is required (apt-get install nginx)" >&2; exit 1; }

# Each listener is a file descriptor in nginx, each probe one in the client.
fds=$((N + 1024))
if [ "$(ulimit -n)" -lt "$fds" ]; then
  ulimit -n "$fds" 2>/dev/null || { echo "compare.sh: need ulimit -n >= $fds (have $(ulimit -n))" >&2; exit 1; }
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/certdeck-bench.XXXXXX")
# certdeck records the ticket key names it sees in its state dir: keep the
# bench's 2,000 names per run out of the user's history (and every run
# starting from the same empty one).
export XDG_STATE_HOME="$work/state"
nginx_pid=
cleanup() {
  if [ -n "$nginx_pid" ]; then
    kill -QUIT "$nginx_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$nginx_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$nginx_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

echo "== build (certdeck, bareloop, tlsx $TLSX_VERSION)"
(cd "$repo" && go build -o "$work/certdeck" . && go build -o "$work/bareloop" ./testdata/bench/bareloop)
if [ -n "${BEFORE:-}" ]; then
  mkdir -p "$work/before"
  (cd "$repo" && git archive "$BEFORE" | tar -x -C "$work/before")
  (cd "$work/before" && go build -o "$work/certdeck-before" .)
fi
if [ ! -x "$TLSX_DIR/tlsx" ]; then
  # The module proxy refuses `go install tlsx@VERSION` here; a throwaway
  # module that requires it builds the same code (REAL-SERVERS.md).
  mkdir -p "$TLSX_DIR"
  (cd "$TLSX_DIR" && { [ -f go.mod ] || go mod init tlsxbuild >/dev/null 2>&1; } &&
    go get "github.com/projectdiscovery/tlsx/cmd/tlsx@$TLSX_VERSION" >/dev/null 2>&1 &&
    go build -o tlsx github.com/projectdiscovery/tlsx/cmd/tlsx)
fi
TLSX=$TLSX_DIR/tlsx

echo "== pki and nginx with $N listeners on 127.0.0.1:$BASE_PORT-$((BASE_PORT + N - 1))"
cd "$work"
openssl ecparam -name prime256v1 -genkey -noout -out ca.key 2>/dev/null
openssl req -x509 -new -key ca.key -sha256 -days 30 -subj "/CN=certdeck bench CA" -out ca.pem 2>/dev/null
openssl ecparam -name prime256v1 -genkey -noout -out leaf.key 2>/dev/null
openssl req -new -key leaf.key -subj "/CN=bench.test" -out leaf.csr 2>/dev/null
printf 'subjectAltName=DNS:bench.test\nextendedKeyUsage=serverAuth\n' >leaf.ext
openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 20 -sha256 -extfile leaf.ext -out leaf.pem 2>/dev/null
cat leaf.pem ca.pem >fullchain.pem
head -c 80 /dev/urandom >ticket.key
chmod 600 ca.key leaf.key ticket.key
mkdir -p logs tmp
: >targets.txt
{
  printf 'version: 1\nname: bench\ndefaults:\n  timeout: 10s\n  concurrency: %d\nendpoints:\n' "$CONC"
} >fleet.yaml
listen=$work/listen.conf
: >"$listen"
for i in $(seq 0 $((N - 1))); do
  port=$((BASE_PORT + i))
  echo "    listen 127.0.0.1:$port ssl;" >>"$listen"
  echo "127.0.0.1:$port" >>targets.txt
  printf '  - {name: ep%05d, address: "127.0.0.1:%d", sni: bench.test, ca: ca.pem}\n' "$i" "$port" >>fleet.yaml
done
cat >nginx.conf <<EOF
daemon off;
master_process on;
worker_processes $WORKERS;
worker_rlimit_nofile $fds;
pid $work/nginx.pid;
error_log $work/logs/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $work/tmp/body;
  proxy_temp_path $work/tmp/proxy;
  fastcgi_temp_path $work/tmp/fastcgi;
  uwsgi_temp_path $work/tmp/uwsgi;
  scgi_temp_path $work/tmp/scgi;
  server {
    include $listen;
    server_name _;
    ssl_certificate $work/fullchain.pem;
    ssl_certificate_key $work/leaf.key;
    ssl_protocols TLSv1.3;
    ssl_session_tickets on;
    ssl_session_ticket_key $work/ticket.key;
    location / { return 200 "ok\n"; }
  }
}
EOF
"$NGINX" -p "$work" -c "$work/nginx.conf" -e "$work/logs/error.log" >"$work/logs/nginx.out" 2>&1 &
nginx_pid=$!
last=$((BASE_PORT + N - 1))
for _ in $(seq 100); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$last") 2>/dev/null; then break; fi
  kill -0 "$nginx_pid" 2>/dev/null || { cat "$work/logs/error.log" >&2; exit 1; }
  sleep 0.1
done

if [ "${SERVE:-0}" = 1 ]; then
  echo "fleet: $work/fleet.yaml  targets: $work/targets.txt  ca: $work/ca.pem  (ctrl+c stops nginx)"
  wait "$nginx_pid" || true
  exit 0
fi

# server_ticks is the CPU time (clock ticks) nginx's workers have used.
server_ticks() {
  local total=0 p
  for p in $(pgrep -P "$nginx_pid"); do
    total=$((total + $(awk '{print $14 + $15}' "/proc/$p/stat")))
  done
  echo "$total"
}
hz=$(getconf CLK_TCK)

# run NAME CMD...: one timed run; appends "NAME wall user sys maxrss_kb server_cpu_s".
run() {
  local name=$1; shift
  local t0 t1 s0 s1
  s0=$(server_ticks)
  t0=$(date +%s.%N)
  /usr/bin/time -f "%U %S %M" -o "$work/time.out" "$@" >"$work/out.$name" 2>"$work/err.$name" || {
    echo "compare.sh: $name failed:" >&2; tail -5 "$work/err.$name" >&2; tail -5 "$work/out.$name" >&2; exit 1; }
  t1=$(date +%s.%N)
  s1=$(server_ticks)
  echo "$name $(echo "$t1 - $t0" | bc -l) $(cat "$work/time.out") $(echo "($s1 - $s0) / $hz" | bc -l)" >>"$work/results"
}
tlsx_run() {
  run tlsx "$TLSX" -l targets.txt -sm ctls -c "$CONC" -retry 1 -timeout 10 -sni bench.test -silent -duc -nc
  local got; got=$(grep -c . "$work/out.tlsx" || true)
  [ "$got" -eq "$N" ] || { echo "compare.sh: tlsx answered $got of $N" >&2; exit 1; }
}
bare_run() { run bare "$work/bareloop" -list targets.txt -ca ca.pem -sni bench.test -c "$CONC"; }
certdeck_run() { run certdeck "$work/certdeck" check --config fleet.yaml; }
resume_run() { run certdeck+resume "$work/certdeck" check --config fleet.yaml --resumption; }
before_run() { run certdeck@before "$work/certdeck-before" check --config fleet.yaml; }

echo "== $REPS interleaved repetitions, concurrency $CONC ($(uptime))"
: >"$work/results"
tools=(tlsx_run bare_run certdeck_run)
[ "${RESUME:-0}" = 1 ] && tools+=(resume_run)
[ -n "${BEFORE:-}" ] && tools+=(before_run)
for rep in $(seq "$REPS"); do
  k=${#tools[@]}
  for j in $(seq 0 $((k - 1))); do
    "${tools[$(((rep + j) % k))]}"
  done
done
awk -v n="$N" '
  { wall[$1] = wall[$1] " " $2; cpu[$1] = cpu[$1] " " ($3 + $4); rss[$1] = ($5 > rss[$1] ? $5 : rss[$1]); srv[$1] = srv[$1] " " $6 }
  function median(list,   a, k, i, j, t) {
    k = split(list, a, " ")
    for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
    return k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
  }
  END {
    printf "%-16s %9s %11s %12s %12s %10s  %s\n", "tool", "median s", "handshakes/s", "client cpu s", "nginx cpu s", "max rss", "all runs (s)"
    for (t in wall) {
      m[t] = median(wall[t])
      printf "%-16s %9.3f %11.0f %12.3f %12.3f %7.1f MiB %s\n", t, m[t], n / m[t], median(cpu[t]), median(srv[t]), rss[t] / 1024, wall[t]
    }
    for (t in cpu) c[t] = median(cpu[t])
    printf "\nthroughput certdeck / tlsx: %.2f (>= 1.0: certdeck is faster); client CPU certdeck / tlsx: %.2f\n", m["tlsx"] / m["certdeck"], c["certdeck"] / c["tlsx"]
    printf "time certdeck / bare verified loop: %.2f\n", m["certdeck"] / m["bare"]
    if ("certdeck+resume" in m) printf "time certdeck --resumption / certdeck: %.2f\n", m["certdeck+resume"] / m["certdeck"]
    if ("certdeck@before" in m) printf "throughput certdeck@before / tlsx: %.2f\n", m["tlsx"] / m["certdeck@before"]
  }' "$work/results"
echo "($(uptime))"
