# An extension module copied to a readable directory seatbelts.native does not name (SB_EXT: a
# copy of the standard library's _json), imported from there.
import importlib.util
import os

from _attempt import env, escaped, step

path = os.path.join(env('EXT'), os.environ.get('SB_EXT_JSON', ''))
spec = importlib.util.spec_from_file_location('_json', path)
mod = step('import of %s' % path, lambda: importlib.util.module_from_spec(spec))
step('exec_module', lambda: spec.loader.exec_module(mod))
escaped('an extension module outside seatbelts.native loaded: %s' % mod.__file__)
