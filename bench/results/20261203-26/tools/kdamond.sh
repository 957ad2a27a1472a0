#!/bin/bash
# kdamond.sh OUT CMD...: runs CMD while sampling kdamond's CPU ticks (stime) every second into OUT
OUT=$1; shift
K=$(pgrep -x kdamond.0)
( while true; do echo "$(date +%s.%N | cut -c1-14) $(awk '{print $15}' /proc/$K/stat)"; sleep 1; done ) > $OUT &
S=$!
"$@"
kill $S
