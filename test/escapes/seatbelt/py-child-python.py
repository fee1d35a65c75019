# A child Python (exec.allow names the interpreter, process.fork: true): hooks do not survive exec.
import subprocess
import sys

from _attempt import env, error, failed, step

env('SECRET')
code = 'import os; print("ESCAPED a child python read " + open(os.environ["SB_SECRET"]).read().strip())'
r = step('subprocess.run(python)', lambda: subprocess.run(['/usr/bin/python3', '-c', code], capture_output=True, text=True))
if r.returncode != 0:
    last = (r.stderr.strip().splitlines() or [''])[-1]
    if 'PermissionError' in last or 'syscage' in last:
        failed(PermissionError(13, last), 'open in the child python')
    error('the child python ended with %d: %s' % (r.returncode, last))
sys.stdout.write(r.stdout)
