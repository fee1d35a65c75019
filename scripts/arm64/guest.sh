#!/bin/sh
# guest.sh WORK [--only AREAS] — the command scripts/arm64/lib.sh runs INSIDE the arm64 VM (busybox
# sh, root, WORK shared at the same path): loopback up (the checks listen on 127.0.0.1), the layer
# copied to /opt as Lambda unpacks it (and off 9p: node loads its modules much faster from RAM),
# an /etc/shadow for the checks to be refused, then the suite with the layer's own node (and the
# version it is pinned to, WORK/node-version).
# Exits with the suite's status.
W=$1
shift
ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up || echo "guest: cannot bring up lo"
mkdir -p /opt && cp -a "$W/layer/." /opt/ || { echo "guest: cannot copy the layer to /opt"; exit 1; }
[ -e /etc/shadow ] || { echo 'root:*:19000:0:99999:7:::' > /etc/shadow && chmod 600 /etc/shadow; }
mkdir -p /tmp/scratch
# The layer's pinned Node.js version (scripts/arm64/lib.sh wrote it): the suite checks bin/node is it.
# LD_LIBRARY_PATH=/opt/lib as on Lambda: the layer's node finds the layer's libatomic.so.1 (the VM has none).
LD_LIBRARY_PATH=/opt/lib /opt/bin/node "$W/tests/main.mjs" --layer /opt --bin "$W/bin" --scratch /tmp/scratch --node-version "$(cat "$W/node-version" 2>/dev/null)" "$@"
rc=$?
# ARM64_KEEP=1: the profiles, logs and files of the checks are kept in WORK/scratch.
[ -f "$W/keep" ] && cp -a /tmp/scratch "$W/scratch"
exit $rc
