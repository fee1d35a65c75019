# socket.sendto (unconnected UDP: the destination is in the call) to the counting UDP server.
import socket

from _attempt import env, escaped, step

port = int(env('UDP'))
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(10)
step('socket.sendto', lambda: s.sendto(b'syscage-corpus datagram', ('127.0.0.1', port)))
data = s.recv(512)
escaped('socket.sendto reached 127.0.0.1:%d, which answered %d bytes' % (port, len(data)))
