# ctypes.CDLL('libc.so.6') where seatbelts.native names _ctypes but not libc, then libc's open and
# read of the denied file.
from _attempt import env, escaped, step

ctypes = step('import ctypes', lambda: __import__('ctypes'))
libc = step("ctypes.CDLL('libc.so.6')", lambda: ctypes.CDLL('libc.so.6'))
buf = ctypes.create_string_buffer(256)
fd = libc.open(env('SECRET').encode(), 0)
n = libc.read(fd, buf, 256)
escaped('libc open/read through ctypes read %s' % (buf.raw[:n].decode() if n > 0 else 'nothing (fd %d)' % fd))
