# cffi's backend (_cffi_backend: the cffi package itself may be absent, its backend is what loads
# and calls): dlopen libc and call open/read on the denied file.
from _attempt import env, escaped, note, step

B = step('import _cffi_backend', lambda: __import__('_cffi_backend'))
note('_cffi_backend %s from %s' % (getattr(B, '__version__', '?'), B.__file__))
lib = step('_cffi_backend.load_library(libc.so.6)', lambda: B.load_library('libc.so.6'))
c_int = B.new_primitive_type('int')
c_long = B.new_primitive_type('long')
c_size = B.new_primitive_type('size_t')
c_charp = B.new_pointer_type(B.new_primitive_type('char'))
c_chararr = B.new_array_type(c_charp, None)
open_ = lib.load_function(B.new_function_type((c_charp, c_int), c_int, False), 'open')
read = lib.load_function(B.new_function_type((c_int, c_charp, c_size), c_long, False), 'read')
fd = open_(env('SECRET').encode(), 0)
buf = B.newp(c_chararr, 256)
n = read(fd, buf, 256)
escaped('libc open/read through _cffi_backend read %s' % (B.buffer(buf)[:n].decode() if n > 0 else 'nothing (fd %d)' % fd))
