# Calls through ctypes raise no audit event: with _ctypes and libc named in seatbelts.native (a
# function that needs them), libc's open and read of the denied file go unseen.
from _attempt import env, escaped, step

ctypes = step('import ctypes', lambda: __import__('ctypes'))
libc = step("ctypes.CDLL('libc.so.6')", lambda: ctypes.CDLL('libc.so.6'))
buf = ctypes.create_string_buffer(256)
fd = step('libc.open', lambda: libc.open(env('SECRET').encode(), 0))
n = libc.read(fd, buf, 256)
libc.close(fd)
escaped('libc open/read through ctypes read %s' % (buf.raw[:n].decode() if n > 0 else 'nothing (fd %d)' % fd))
