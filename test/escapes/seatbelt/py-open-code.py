# io.open_code (the import system's way to open a file) of the denied file.
import io

from _attempt import env, escaped, step

with step('io.open_code', lambda: io.open_code(env('SECRET'))) as f:
    escaped('io.open_code read ' + f.read().decode())
