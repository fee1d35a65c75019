/*
 * Creating processes the supervisor cannot see or refuse.
 *
 *   clone clone3-process         a child process through clone3 (its flags are in a struct BPF cannot read)
 *   clone untraced MARKER SECS   clone(CLONE_UNTRACED|SIGCHLD): a tracer's PTRACE_O_TRACEFORK does not
 *                                follow such a child (kernel_clone skips the ptrace event)
 *   clone untraced3 MARKER SECS  the same through clone3
 *
 * The untraced child closes stdin/stdout/stderr (so nobody waits for it), sleeps
 * SECS and then appends "alive PID" to MARKER through an fd its parent opened: a
 * process still running, and still writing, after the sandbox has ended. The
 * parent reports ESCAPED when the child runs without a tracer (TracerPid 0).
 */
#include "escape.h"
#include <linux/sched.h>
#include <sys/wait.h>

static int tracer_of(pid_t pid) {
  char path[64], buf[4096];
  snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
  int fd = open(path, O_RDONLY);
  if (fd < 0) return -1;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return -1;
  buf[n] = 0;
  char *p = strstr(buf, "TracerPid:");
  return p ? atoi(p + 10) : -1;
}

static long clone3_flags(unsigned long long flags) {
  struct clone_args args = { .flags = flags, .exit_signal = SIGCHLD };
  return syscall(SYS_clone3, &args, sizeof args);
}

int main(int argc, char **argv) {
  ARGS(2, "clone3-process | untraced|untraced3 MARKER SECS");
  fflush(stdout);
  if (MODE("clone3-process")) {
    long pid = clone3_flags(0);
    if (pid == 0) _exit(0);
    if (pid < 0) blocked(errno, "clone3 of a child process");
    int st;
    waitpid((pid_t)pid, &st, 0);
    escaped("clone3 created child process %ld", pid);
  }
  ARGS(4, "untraced|untraced3 MARKER SECS");
  int marker = open(argv[2], O_WRONLY | O_APPEND | O_CREAT, 0644);
  if (marker < 0) error("open %s", argv[2]);
  int secs = atoi(argv[3]);
  long pid = MODE("untraced3") ? clone3_flags(CLONE_UNTRACED) : syscall(SYS_clone, CLONE_UNTRACED | SIGCHLD, 0, 0, 0, 0);
  if (pid == 0) {
    close(0);
    close(1);
    close(2);
    sleep((unsigned)secs);
    char line[64];
    int n = snprintf(line, sizeof line, "alive %d\n", (int)getpid());
    if (write(marker, line, (size_t)n) < 0) _exit(1);
    _exit(0);
  }
  if (pid < 0) blocked(errno, "%s with CLONE_UNTRACED", MODE("untraced3") ? "clone3" : "clone");
  char line[64];
  int n = snprintf(line, sizeof line, "child %ld\n", pid);
  if (write(marker, line, (size_t)n) < 0) error("write %s", argv[2]);
  usleep(100 * 1000);
  int me = tracer_pid(), it = tracer_of((pid_t)pid);
  note("parent %d has TracerPid %d; child %ld has TracerPid %d", (int)getpid(), me, pid, it);
  if (it == 0) escaped("child %ld runs without a tracer (TracerPid 0) while its parent is traced by %d", pid, me);
  if (it < 0) blocked_because("cannot read the child's status");
  blocked_because("the child is traced by %d", it);
}
