/*
 * Fail closed: a sandboxed program blocked inside syscalls when its
 * supervisor is SIGKILLed. A child opens a FIFO nobody writes (it blocks in
 * the kernel's open, after the supervisor let the openat through); the
 * parent blocks in read() on a pipe nobody writes. Both pids go to PIDFILE,
 * then "READY" is printed once the child is seen inside its open.
 *
 *   hold FIFO PIDFILE
 */
#include "escape.h"
#include <sys/wait.h>

int main(int argc, char **argv) {
  ARGS(3, "FIFO PIDFILE");
  int pf = open(argv[2], O_WRONLY | O_APPEND | O_CREAT, 0644);
  if (pf < 0) error("open %s", argv[2]);
  fflush(stdout);
  pid_t c = fork();
  if (c < 0) error("fork");
  if (c == 0) {
    dprintf(pf, "%d\n", (int)getpid());
    int fd = open(argv[1], O_RDONLY); /* blocks: no writer */
    _exit(fd < 0 ? 1 : 0);
  }
  dprintf(pf, "%d\n", (int)getpid());
  /* Wait until the child sits in openat (/proc/CHILD/syscall starts with its number, 257). */
  char path[64], buf[128];
  snprintf(path, sizeof path, "/proc/%d/syscall", (int)c);
  for (int i = 0; i < 500; i++) {
    int fd = open(path, O_RDONLY);
    ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
    if (fd >= 0) close(fd);
    if (n > 0 && strncmp(buf, "257 ", 4) == 0) break;
    usleep(10 * 1000);
  }
  int p[2];
  if (pipe(p) < 0) error("pipe");
  note("child %d blocked in openat of a FIFO; parent %d about to block in read", (int)c, (int)getpid());
  printf("READY\n");
  fflush(stdout);
  char x;
  ssize_t r = read(p[0], &x, 1); /* blocks: the write end is ours and never written */
  (void)r;
  return 0;
}
