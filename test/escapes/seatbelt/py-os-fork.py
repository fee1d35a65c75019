# os.fork under process.fork: false.
import os

from _attempt import escaped, step, wait_child

pid = step('os.fork', os.fork)
if pid == 0:
    os._exit(0)
wait_child(pid, 'os.fork')
escaped('os.fork made a child process (pid %d)' % pid)
