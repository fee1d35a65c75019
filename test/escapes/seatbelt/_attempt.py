# The corpus protocol (test/escapes/README.md) for the Python seatbelt attempts: NOTE lines, then
# one verdict line, ESCAPED <what> / BLOCKED <code> <step> / ERROR <why> (exit 3). The world comes
# in SB_* environment variables (corpus-seatbelts.test.ts).
import errno as _errno
import os as _os
import sys as _sys

_write = _os.write
_exit = _os._exit


def _say(line):
    _sys.stdout.flush()
    _write(1, (' '.join(str(line).split())[:300] + '\n').encode('utf-8', 'replace'))


def note(what):
    _say('NOTE ' + str(what))


def escaped(what):
    _say('ESCAPED ' + str(what))


def error(what):
    _say('ERROR ' + str(what))
    _exit(3)


def env(name):
    v = _os.environ.get('SB_' + name)
    if not v:
        error('SB_%s is not set' % name)
    return v


_REFUSALS = (_errno.EACCES, _errno.EPERM)


def failed(e, step):
    """A step failed: BLOCKED when it was refused, ERROR otherwise; the attempt ends."""
    code = getattr(e, 'errno', None)
    if isinstance(e, OSError) and code in _REFUSALS:
        _say('BLOCKED %s %s: %s' % (_errno.errorcode[code], step, e))
        _exit(0)
    if isinstance(e, (PermissionError, ImportError, RuntimeError)) and 'syscage' in str(e):
        _say('BLOCKED EACCES %s: %s' % (step, e))
        _exit(0)
    error('%s: %s: %s' % (step, type(e).__name__, e))


def step(name, fn):
    """One step of the attack: its value, or the verdict and the end."""
    try:
        return fn()
    except BaseException as e:  # noqa: BLE001 - every failure is a verdict
        failed(e, name)


def shell_line(api):
    """The shell command the program attempts run: it prints the verdict itself."""
    return 'printf \'ESCAPED /bin/sh ran (%s): %%s\\n\' "$(cat "$SB_SECRET")"' % api


def wait_child(pid, what):
    """Wait for a child; ERROR when it did not end well."""
    _, status = _os.waitpid(pid, 0)
    if status != 0:
        error('%s: the child ended with status %d' % (what, status))
