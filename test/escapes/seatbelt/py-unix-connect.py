# AF_UNIX connect to the counting UNIX server (network.connect allows no unix: address).
import socket

from _attempt import env, escaped, step

path = env('UNIX')
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(10)
step('socket.connect(AF_UNIX)', lambda: s.connect(path))
escaped('socket.connect reached unix:%s: %s' % (path, s.recv(256).decode(errors='replace')))
