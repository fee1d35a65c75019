# os.open + os.read of the denied file.
import os

from _attempt import env, escaped, step

fd = step('os.open', lambda: os.open(env('SECRET'), os.O_RDONLY))
escaped('os.open + os.read read ' + os.read(fd, 256).decode())
