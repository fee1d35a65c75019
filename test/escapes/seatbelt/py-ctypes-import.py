# import ctypes (its _ctypes extension is native code seatbelts.native does not name).
from _attempt import escaped, step

ctypes = step('import ctypes', lambda: __import__('ctypes'))
escaped('ctypes imported (%s)' % ctypes.__file__)
