# /proc/self/environ (files.deny names it): the environment, without os.environ.
from _attempt import env, escaped, step

mark = env('MARK')
with step('open(/proc/self/environ)', lambda: open('/proc/self/environ', 'rb')) as f:
    text = f.read().decode('latin1')
hit = [kv for kv in text.split('\0') if mark in kv]
escaped('/proc/self/environ read: ' + (hit[0] if hit else '(%d bytes, no mark)' % len(text)))
