# pathlib.Path.read_text of the denied file.
import pathlib

from _attempt import env, escaped, step

escaped('pathlib read ' + step('pathlib.Path.read_text', lambda: pathlib.Path(env('SECRET')).read_text()))
