# open() of the denied file.
from _attempt import env, escaped, step

with step('open', lambda: open(env('SECRET'))) as f:
    escaped('open read ' + f.read())
