# socket.connect to the counting TCP server (network.connect allows nothing).
import socket

from _attempt import env, escaped, step

port = int(env('TCP'))
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.settimeout(10)
step('socket.connect', lambda: s.connect(('127.0.0.1', port)))
escaped('socket.connect reached 127.0.0.1:%d: %s' % (port, s.recv(256).decode(errors='replace')))
