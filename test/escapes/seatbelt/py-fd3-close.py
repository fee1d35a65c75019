# The report channel (descriptor 3) closed and reused for a file of the handler's: a refusal still
# stands, but the bootstrap never hears of it.
import os

from _attempt import env, escaped, failed, note

path = os.path.join(env('TMP'), 'channel')
try:
    os.close(3)
except OSError:
    pass
fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
note('descriptor %d is now %s' % (fd, path))
try:
    with open(env('SECRET')) as f:
        escaped('open read ' + f.read())
except OSError as e:
    with open(path) as f:
        landed = f.read().strip()
    if landed:
        note("the seatbelt's report landed in the handler's own file: " + landed[:200])
    failed(e, 'open')
