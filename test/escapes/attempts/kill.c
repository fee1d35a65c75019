/*
 * Signalling the supervisor. It is found as getppid() (the command's parent)
 * and as TracerPid in /proc/self/status (its tracer thread).
 *
 *   kill ppid      kill(getppid(), SIGKILL)
 *   kill tracer    kill(TracerPid, SIGKILL): a tid names its whole process
 *   kill tgkill    tgkill(getppid(), TracerPid, SIGKILL)
 *   kill pidfd     pidfd_open(getppid()) + pidfd_send_signal(SIGKILL)
 *   kill group     kill(0, 0): the caller's process group (the supervisor's, unless it made its own);
 *                  signal 0 is a probe with the same permission rules, and harmless if let through
 *   kill all       kill(-1, 0): every process the caller may signal
 *
 * A SIGKILL that is let through kills the supervisor: the test sees that.
 */
#include "escape.h"

int main(int argc, char **argv) {
  ARGS(2, "ppid|tracer|tgkill|pidfd|group|all");
  int ppid = (int)getppid(), tracer = tracer_pid();
  note("ppid %d, TracerPid %d, pgid %d", ppid, tracer, (int)getpgrp());
  if (MODE("ppid")) {
    if (kill(ppid, SIGKILL) < 0) blocked(errno, "kill(%d (getppid), SIGKILL)", ppid);
    usleep(200 * 1000);
    escaped("kill(%d (getppid), SIGKILL) succeeded; now ppid %d", ppid, (int)getppid());
  }
  if (MODE("tracer")) {
    if (tracer <= 0) error("not traced (TracerPid %d)", tracer);
    if (kill(tracer, SIGKILL) < 0) blocked(errno, "kill(%d (TracerPid), SIGKILL)", tracer);
    usleep(200 * 1000);
    escaped("kill(%d (TracerPid), SIGKILL) succeeded; TracerPid now %d", tracer, tracer_pid());
  }
  if (MODE("tgkill")) {
    if (tracer <= 0) error("not traced (TracerPid %d)", tracer);
    if (syscall(SYS_tgkill, ppid, tracer, SIGKILL) < 0) blocked(errno, "tgkill(%d, %d, SIGKILL)", ppid, tracer);
    usleep(200 * 1000);
    escaped("tgkill(%d, %d (TracerPid), SIGKILL) succeeded", ppid, tracer);
  }
  if (MODE("pidfd")) {
    int fd = (int)syscall(SYS_pidfd_open, ppid, 0);
    if (fd < 0) blocked(errno, "pidfd_open(%d)", ppid);
    if (syscall(SYS_pidfd_send_signal, fd, SIGKILL, NULL, 0) < 0) blocked(errno, "pidfd_send_signal(pidfd of %d, SIGKILL)", ppid);
    usleep(200 * 1000);
    escaped("pidfd_send_signal(pidfd of %d (getppid), SIGKILL) succeeded", ppid);
  }
  if (MODE("group")) {
    if (kill(0, 0) < 0) blocked(errno, "kill(0, 0) (process group %d)", (int)getpgrp());
    escaped("kill(0, 0) reached process group %d, which holds ppid %d (pgid %d)", (int)getpgrp(), ppid, (int)getpgid(ppid));
  }
  if (MODE("all")) {
    if (kill(-1, 0) < 0) blocked(errno, "kill(-1, 0)");
    escaped("kill(-1, 0) succeeded: every process this one may signal, its supervisor included");
  }
  fprintf(stderr, "kill: unknown mode %s\n", argv[1]);
  return 2;
}
