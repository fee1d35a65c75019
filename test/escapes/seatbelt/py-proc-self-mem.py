# Writing /proc/self/mem (files.write does not name it): the same bytes written back over a
# writable mapping of this process, which proves the write went through.
import os
import re

from _attempt import error, escaped, step

with open('/proc/self/maps') as f:
    maps = f.read().splitlines()
rw = [l for l in maps if re.match(r'^[0-9a-f]+-[0-9a-f]+ rw-p 00000000 00:00 0\s*$', l)]
if not rw:
    error('no anonymous writable mapping in /proc/self/maps')
at = int(rw[0].split('-')[0], 16)
fd = step('os.open(/proc/self/mem, O_RDWR)', lambda: os.open('/proc/self/mem', os.O_RDWR))
data = os.pread(fd, 16, at)
n = step('os.pwrite(/proc/self/mem)', lambda: os.pwrite(fd, data, at))
escaped('wrote %d bytes into this process\'s memory at 0x%x through /proc/self/mem' % (n, at))
