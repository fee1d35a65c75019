/*
 * ptrace against the supervisor or another process of the sandbox.
 *
 *   ptrace sup       PTRACE_SEIZE getppid() (the supervisor), then detach
 *   ptrace tracer    PTRACE_SEIZE TracerPid (the supervisor's tracer thread), then detach
 *   ptrace sibling   fork a child, PTRACE_SEIZE it from the parent (a tracee tracing another), then detach
 *   ptrace getfd     pidfd_open(getppid()) + pidfd_getfd: take a copy of one of the supervisor's fds
 *                    (same permission check as an attach: PTRACE_MODE_ATTACH_REALCREDS)
 *
 * Seizing stops nothing; being attached at all is the escape (PEEK/POKE follow).
 */
#include "escape.h"
#include <sys/ptrace.h>
#include <sys/wait.h>

static void seize(int pid, const char *who) {
  if (ptrace(PTRACE_SEIZE, pid, 0, 0) < 0) blocked(errno, "ptrace(PTRACE_SEIZE, %d (%s))", pid, who);
  ptrace(PTRACE_DETACH, pid, 0, 0);
}

int main(int argc, char **argv) {
  ARGS(2, "sup|tracer|sibling|getfd");
  int ppid = (int)getppid(), tracer = tracer_pid();
  note("ppid %d, TracerPid %d", ppid, tracer);
  if (MODE("sup")) {
    seize(ppid, "getppid");
    escaped("attached to %d (getppid) with PTRACE_SEIZE", ppid);
  }
  if (MODE("tracer")) {
    if (tracer <= 0) error("not traced (TracerPid %d)", tracer);
    seize(tracer, "TracerPid");
    escaped("attached to %d (TracerPid) with PTRACE_SEIZE", tracer);
  }
  if (MODE("sibling")) {
    fflush(stdout);
    pid_t c = fork();
    if (c < 0) error("fork");
    if (c == 0) {
      sleep(5);
      _exit(0);
    }
    usleep(50 * 1000);
    if (ptrace(PTRACE_SEIZE, c, 0, 0) < 0) {
      int e = errno;
      kill(c, SIGKILL);
      waitpid(c, NULL, 0);
      blocked(e, "ptrace(PTRACE_SEIZE, %d (a child of the sandbox))", (int)c);
    }
    ptrace(PTRACE_DETACH, c, 0, 0);
    kill(c, SIGKILL);
    waitpid(c, NULL, 0);
    escaped("attached to %d, another process of the sandbox", (int)c);
  }
  if (MODE("getfd")) {
    int pfd = (int)syscall(SYS_pidfd_open, ppid, 0);
    if (pfd < 0) blocked(errno, "pidfd_open(%d (getppid))", ppid);
    int last = 0;
    for (int fd = 0; fd < 256; fd++) {
      long got = syscall(SYS_pidfd_getfd, pfd, fd, 0);
      if (got >= 0) {
        char link[64], to[512] = "?";
        snprintf(link, sizeof link, "/proc/self/fd/%ld", got);
        ssize_t n = readlink(link, to, sizeof to - 1);
        if (n > 0) to[n] = 0;
        escaped("pidfd_getfd took fd %d of %d (getppid): %s", fd, ppid, to);
      }
      if (errno != EBADF) {
        last = errno;
        break;
      }
    }
    blocked(last ? last : EBADF, "pidfd_getfd(pidfd of %d (getppid))", ppid);
  }
  fprintf(stderr, "ptrace: unknown mode %s\n", argv[1]);
  return 2;
}
