#!/bin/sh
# guest.sh WORK [--only AREAS] — the command scripts/arm64/lib.sh runs INSIDE the arm64 VM (busybox
# sh, root, WORK shared at the same path): loopback up (the checks listen on 127.0.0.1), the layer
# copied to /opt as Lambda unpacks it (and off 9p: node loads its modules much faster from RAM),
# an /etc/shadow for the checks to be refused, then the suite with the layer's own node.
# Exits with the suite's status.
W=$1
shift
ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up || echo "guest: cannot bring up lo"
mkdir -p /opt && cp -a "$W/layer/." /opt/ || { echo "guest: cannot copy the layer to /opt"; exit 1; }
[ -e /etc/shadow ] || { echo 'root:*:19000:0:99999:7:::' > /etc/shadow && chmod 600 /etc/shadow; }
mkdir -p /tmp/scratch
/opt/bin/node "$W/tests/main.mjs" --layer /opt --bin "$W/bin" --scratch /tmp/scratch "$@"
rc=$?
# ARM64_KEEP=1: the profiles, logs and files of the checks are kept in WORK/scratch.
[ -f "$W/keep" ] && cp -a /tmp/scratch "$W/scratch"
exit $rc
