# sys.audit replaced and another hook added that swallows events: CPython raises events from C,
# not through the sys.audit attribute, and every hook runs.
import sys

from _attempt import env, escaped, step

secret = env('SECRET')
sys.audit = lambda *a, **k: None
step('sys.addaudithook', lambda: sys.addaudithook(lambda event, args: None))
with step('open', lambda: open(secret)) as f:
    escaped('with sys.audit replaced, open read ' + f.read())
