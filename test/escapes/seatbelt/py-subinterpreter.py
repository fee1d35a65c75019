# A subinterpreter (_xxsubinterpreters): its code runs without this interpreter's audit hook.
import os

from _attempt import env, error, escaped, step

secret = env('SECRET')
sub = step('import _xxsubinterpreters', lambda: __import__('_xxsubinterpreters'))
out = os.path.join(env('TMP'), 'sub-out')
interp = step('_xxsubinterpreters.create', sub.create)
code = 'open(%r, "w").write(open(%r).read())' % (out, secret)
step('_xxsubinterpreters.run_string', lambda: sub.run_string(interp, code))
try:
    with open(out) as f:
        escaped('a subinterpreter read ' + f.read())
except OSError as e:
    error('no output from the subinterpreter: %s' % e)
