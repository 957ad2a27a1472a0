#!/usr/bin/env bash
# http-limit.sh: the machine's HTTP limit for the HTTP publish workload of `apus bench --protocol http` — wrk
# (Debian package) posting the same 1 KiB ApsaraMQ publish body over the same number of keep-alive connections to
# nginx (Debian package) answering a static 201 with a publish-sized reply. Prints requests/s and the latency
# percentiles, so Apus's figure can be put beside it (same sitting, same connection count).
#
#   bench/http-limit.sh [--connections 64] [--duration 10] [--size 1024] [--threads 1] [--no-install]
#
# Everything binds 127.0.0.1 on a free port; nginx runs in the foreground as a child of this script with its own
# prefix directory under $BENCH_DATA (default /var/tmp/apus-http-limit/<stamp>), and exactly that PID is stopped on
# exit, error or Ctrl-C. wrk is wrapped in `timeout`. Installing needs root (apt-get); a temporary policy-rc.d
# keeps Debian from starting the system-wide nginx service.
set -euo pipefail

CONNECTIONS=64
DURATION=10
SIZE=1024
THREADS=1
INSTALL=1
while [ $# -gt 0 ]; do
  case "$1" in
    --connections) CONNECTIONS=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --size) SIZE=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --no-install) INSTALL=0; shift ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

log() { echo "[http-limit] $*" >&2; }
die() { log "$*"; exit 1; }

NGINX_PID=""
DATA="${BENCH_DATA:-/var/tmp/apus-http-limit}/$(date -u +%Y%m%dT%H%M%S)-$$"
cleanup() {
  if [ -n "$NGINX_PID" ] && kill -0 "$NGINX_PID" 2>/dev/null; then
    kill -TERM "$NGINX_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$NGINX_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$NGINX_PID" 2>/dev/null || true
  fi
  rm -rf "$DATA"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

# --- install what is missing -------------------------------------------------------------------------------------
NGINX_BIN=$(command -v nginx || true)
[ -z "$NGINX_BIN" ] && [ -x /usr/sbin/nginx ] && NGINX_BIN=/usr/sbin/nginx
missing=()
command -v wrk >/dev/null || missing+=(wrk)
[ -n "$NGINX_BIN" ] || missing+=(nginx)
if [ ${#missing[@]} -gt 0 ]; then
  [ "$INSTALL" = 1 ] || die "missing: ${missing[*]} (and --no-install)"
  [ "$(id -u)" = 0 ] || die "missing: ${missing[*]}; run as root to install them with apt-get"
  made_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && made_policy=1
  fi
  log "installing ${missing[*]}"
  rc=0
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2; } || rc=$?
  [ "$made_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d
  [ $rc = 0 ] || die "apt-get install failed"
  NGINX_BIN=$(command -v nginx || echo /usr/sbin/nginx)
fi

# --- a free port ---------------------------------------------------------------------------------------------------
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
PORT=""
for _ in $(seq 50); do
  p=$(( 20000 + RANDOM % 20000 ))
  if ! port_open "$p"; then PORT=$p; break; fi
done
[ -n "$PORT" ] || die "no free port found"

# --- nginx: static 201 to POST /topics/<t>/messages, keep-alive ----------------------------------------------------
mkdir -p "$DATA"/{logs,tmp}
REPLY='<?xml version="1.0" encoding="UTF-8"?><Message xmlns="http://mq.aliyuncs.com/doc/v1"><MessageId>0A0000010000000000000000000000FF</MessageId><MessageBodyMD5>5D41402ABC4B2A76B9719D911017C592</MessageBodyMD5></Message>'
cat >"$DATA/nginx.conf" <<EOF
worker_processes 1;
daemon off;
master_process off;
pid $DATA/nginx.pid;
error_log $DATA/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $DATA/tmp/body;
  proxy_temp_path $DATA/tmp/proxy;
  fastcgi_temp_path $DATA/tmp/fastcgi;
  uwsgi_temp_path $DATA/tmp/uwsgi;
  scgi_temp_path $DATA/tmp/scgi;
  keepalive_requests 10000000;
  keepalive_timeout 120s;
  client_body_buffer_size 64k;
  server {
    listen 127.0.0.1:$PORT;
    location / {
      # nginx reads and discards the request body, then sends the static answer.
      default_type "text/xml;charset=utf-8";
      return 201 '$REPLY';
    }
  }
}
EOF
"$NGINX_BIN" -p "$DATA" -c "$DATA/nginx.conf" >"$DATA/logs/stdout.log" 2>&1 &
NGINX_PID=$!
for _ in $(seq 100); do port_open "$PORT" && break; kill -0 "$NGINX_PID" 2>/dev/null || die "nginx exited: $(cat "$DATA"/logs/*.log)"; sleep 0.1; done
port_open "$PORT" || die "nginx did not open 127.0.0.1:$PORT"

# --- wrk: POST the same ApsaraMQ publish body as apus bench -------------------------------------------------------
BODY_TEXT=$(head -c "$SIZE" /dev/zero | tr '\0' 'a')
cat >"$DATA/post.lua" <<EOF
wrk.method = "POST"
wrk.path = "/topics/bench_limit/messages"
wrk.headers["Content-Type"] = "text/xml;charset=UTF-8"
wrk.headers["x-mq-version"] = "2015-06-06"
wrk.headers["Connection"] = "keep-alive"
wrk.body = '<?xml version="1.0" encoding="UTF-8"?><Message xmlns="http://mq.aliyuncs.com/doc/v1/"><MessageBody>$BODY_TEXT</MessageBody><MessageTag>bench</MessageTag></Message>'
local statuses = {}
response = function(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT requests=%d seconds=%.2f rps=%.0f errors=%d non2xx_or_3xx=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status))
  io.write(string.format("LATENCY_US p50=%d p90=%d p99=%d p999=%d max=%d\n", latency:percentile(50),
    latency:percentile(90), latency:percentile(99), latency:percentile(99.9), latency.max))
end
EOF
log "nginx pid $NGINX_PID on 127.0.0.1:$PORT; wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s, ${SIZE}-byte message bodies"
NGINX_CPU0=$(awk '{print $14+$15}' "/proc/$NGINX_PID/stat")
timeout $(( DURATION + 30 )) wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$DATA/post.lua" \
  "http://127.0.0.1:$PORT/" | tee "$DATA/wrk.out" | grep -E "RESULT|LATENCY_US|Requests/sec|Socket errors|Non-2xx" || true
NGINX_CPU1=$(awk '{print $14+$15}' "/proc/$NGINX_PID/stat")
REQS=$(sed -n 's/^RESULT requests=\([0-9]*\).*/\1/p' "$DATA/wrk.out")
if [ -n "$REQS" ] && [ "$REQS" -gt 0 ]; then
  awk -v t=$(( NGINX_CPU1 - NGINX_CPU0 )) -v hz="$(getconf CLK_TCK)" -v n="$REQS" -v d="$DURATION" \
    'BEGIN { printf "NGINX_CPU percent=%.0f us_per_request=%.1f\n", t / hz / d * 100, t / hz / n * 1e6 }'
fi
