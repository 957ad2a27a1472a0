#!/bin/bash
# pagecost.sh [REPS]: 400 MiB written into the page cache (dd from /dev/zero) right after a cache drop, or 3 or 10 s
# after it; each preceded by a 400 MiB write so that there are just-freed pages to drop. The guest's balloon reports
# free memory to the host (virtio feature bit 5, VIRTIO_BALLOON_F_REPORTING) a few seconds after it is freed; a page
# the host took back is faulted in again on first touch.
REPS=${1:-3}; F=/var/tmp/pagecost.bin
for r in $(seq $REPS); do
  for wait in 0 3 10; do
    dd if=/dev/zero of=$F bs=1M count=400 2>/dev/null; rm -f $F; sync; echo 3 > /proc/sys/vm/drop_caches; sleep $wait
    echo "rep $r wait $wait s: $(dd if=/dev/zero of=$F bs=1M count=400 2>&1 | tail -1)"
    rm -f $F
  done
done
echo "balloon features: $(cat /sys/bus/virtio/devices/virtio0/features) (device $(cat /sys/bus/virtio/devices/virtio0/device))"
