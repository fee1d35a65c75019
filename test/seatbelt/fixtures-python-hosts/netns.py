"""Runs a command in a world whose names the test decides, inside `unshare --net --mount` (as
root): `netns.py CONFIG-JSON -- COMMAND...`.

  - the loopback interface is brought up (`ip link set lo up`): the namespace has nothing else,
    so no packet leaves it;
  - /etc/hosts, /etc/resolv.conf and /etc/nsswitch.conf are bind-mounted (the mounts are this
    namespace's own) from files written in CONFIG.dir: hosts from CONFIG.hosts, names looked up
    in files then DNS, the one name server 127.0.0.53:53;
  - a name server on 127.0.0.53:53 (UDP) answers A queries for the names in CONFIG.dns and
    records every query it receives;
  - a TCP listener on each CONFIG.listen address ("127.0.0.2:8443") counts the connections that
    arrive (and closes them);
  - COMMAND runs with this process's descriptors 0-3 (3: the seatbelt's report channel).

When COMMAND has ended, one line on stdout, in act.py's form:
  {"name": "netns", "ok": true, "value": {"connections": {"ADDR:PORT": N}, "queries": [[NAME, TYPE]]}}
and the exit status is COMMAND's. Any failure to set the world up: exit 75 with a message."""
import json
import os
import socket
import struct
import subprocess
import sys
import threading
import time

SBIN = ['/usr/sbin', '/sbin', '/usr/bin', '/bin']


def tool(name):
    for d in SBIN:
        p = os.path.join(d, name)
        if os.access(p, os.X_OK):
            return p
    fail('no %s in %s' % (name, ':'.join(SBIN)))


def fail(message):
    sys.stderr.write('netns.py: %s\n' % message)
    sys.exit(75)


config = json.loads(sys.argv[1])
if sys.argv[2] != '--':
    fail('usage: netns.py CONFIG -- COMMAND...')
command = sys.argv[3:]
work = config['dir']

try:
    subprocess.run([tool('ip'), 'link', 'set', 'lo', 'up'], check=True)
    files = {
        'hosts': config['hosts'],
        'resolv.conf': 'nameserver 127.0.0.53\noptions timeout:1 attempts:1\n',
        'nsswitch.conf': 'hosts: files dns\n',
    }
    for name, text in files.items():
        src = os.path.join(work, name)
        with open(src, 'w') as f:
            f.write(text)
        subprocess.run([tool('mount'), '--bind', src, '/etc/' + name], check=True)
except (OSError, subprocess.CalledProcessError) as e:
    fail('cannot set the namespace up: %s' % e)

lock = threading.Lock()
connections = {a: 0 for a in config['listen']}
queries = []


def listen(address):
    host, port = address.rsplit(':', 1)
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, int(port)))
    s.listen(16)

    def serve():
        while True:
            c, _ = s.accept()
            with lock:
                connections[address] += 1
            c.close()
    threading.Thread(target=serve, daemon=True).start()


def qname(packet, at):
    labels = []
    while True:
        n = packet[at]
        at += 1
        if n == 0:
            return '.'.join(labels), at
        labels.append(packet[at:at + n].decode('ascii', 'backslashreplace'))
        at += n


def answer(packet):
    """The reply to one query: an A record for a name in config.dns, no record for its AAAA,
    NXDOMAIN for any other name."""
    ident, flags, qd = struct.unpack('>HHH', packet[:6])
    name, end = qname(packet, 12)
    qtype, qclass = struct.unpack('>HH', packet[end:end + 4])
    with lock:
        queries.append([name, qtype])
    question = packet[12:end + 4]
    address = config['dns'].get(name.lower().rstrip('.'))
    if address is None:
        return struct.pack('>HHHHHH', ident, 0x8183, 1, 0, 0, 0) + question
    if qtype != 1:
        return struct.pack('>HHHHHH', ident, 0x8180, 1, 0, 0, 0) + question
    record = struct.pack('>HHHIH', 0xc00c, 1, 1, 60, 4) + socket.inet_aton(address)
    return struct.pack('>HHHHHH', ident, 0x8180, 1, 1, 0, 0) + question + record


def dns():
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(('127.0.0.53', 53))

    def serve():
        while True:
            packet, peer = u.recvfrom(4096)
            try:
                u.sendto(answer(packet), peer)
            except (IndexError, struct.error, UnicodeError):
                pass
    threading.Thread(target=serve, daemon=True).start()


try:
    for a in config['listen']:
        listen(a)
    dns()
except OSError as e:
    fail('cannot listen: %s' % e)

try:
    os.fstat(3)
    keep = (3,)
except OSError:
    keep = ()
status = subprocess.run(command, pass_fds=keep).returncode
time.sleep(0.1)  # the last connection's accept
with lock:
    sys.stdout.write(json.dumps({'name': 'netns', 'ok': True,
                                 'value': {'connections': connections, 'queries': queries}}) + '\n')
sys.stdout.flush()
sys.exit(status if status >= 0 else 128 - status)
