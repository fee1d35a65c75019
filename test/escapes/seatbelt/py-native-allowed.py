# An extension module in a directory seatbelts.native names (SB_NATIVE), but one refused by name:
# a copy of _xxsubinterpreters, whose subinterpreter then reads the denied file without the hook.
import importlib.util
import os

from _attempt import env, error, escaped, step

secret = env('SECRET')
path = os.path.join(env('NATIVE'), os.environ.get('SB_NATIVE_SUB', ''))
spec = importlib.util.spec_from_file_location('_xxsubinterpreters', path)
sub = step('import of %s' % path, lambda: importlib.util.module_from_spec(spec))
step('exec_module', lambda: spec.loader.exec_module(sub))
out = os.path.join(env('TMP'), 'sub-out')
interp = step('create', sub.create)
step('run_string', lambda: sub.run_string(interp, 'open(%r, "w").write(open(%r).read())' % (out, secret)))
try:
    with open(out) as f:
        escaped('a subinterpreter from the allowed copy read ' + f.read())
except OSError as e:
    error('no output from the subinterpreter: %s' % e)
