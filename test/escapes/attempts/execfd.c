/*
 * Starting a program the profile does not allow, by routes other than a plain
 * execve of its path.
 *
 *   execfd execve PROG          plain execve (the setuid probe: PROG euid)
 *   execfd execveat-fd PROG     execveat(open(PROG, O_PATH), "", AT_EMPTY_PATH)
 *   execfd memfd PROG           copy PROG into a memfd, execveat(memfd, "", AT_EMPTY_PATH): fileless
 *   execfd memfd-proc PROG      the same memfd run as execve("/proc/self/fd/N") (fexecve's fallback)
 *   execfd deleted PROG OUTDIR  copy PROG to OUTDIR, open it, unlink it, execveat the fd of the deleted file
 *
 * The program itself prints ESCAPED when it runs.
 */
#include "escape.h"
#include <sys/mman.h>

extern char **environ;

static int copy_into(int to, const char *prog) {
  int from = open(prog, O_RDONLY);
  if (from < 0) return -1;
  char buf[65536];
  ssize_t n;
  while ((n = read(from, buf, sizeof buf)) > 0)
    if (write(to, buf, (size_t)n) != n) return -1;
  close(from);
  return n < 0 ? -1 : 0;
}

int main(int argc, char **argv) {
  ARGS(3, "execve|execveat-fd|memfd|memfd-proc|deleted PROG [ARG]");
  const char *prog = argv[2];
  char *args[] = { (char *)prog, argc > 3 ? argv[3] : NULL, NULL };
  fflush(stdout);
  if (MODE("execve")) {
    execve(prog, args, environ);
    blocked(errno, "execve %s", prog);
  }
  if (MODE("execveat-fd")) {
    int fd = open(prog, O_PATH);
    if (fd < 0) error("open(%s, O_PATH)", prog);
    syscall(SYS_execveat, fd, "", args, environ, AT_EMPTY_PATH);
    blocked(errno, "execveat(O_PATH fd of %s, \"\", AT_EMPTY_PATH)", prog);
  }
  if (MODE("memfd") || MODE("memfd-proc")) {
    int fd = memfd_create("payload", 0);
    if (fd < 0) blocked(errno, "memfd_create");
    if (copy_into(fd, prog) < 0) error("copy %s into the memfd", prog);
    if (MODE("memfd")) {
      syscall(SYS_execveat, fd, "", args, environ, AT_EMPTY_PATH);
      blocked(errno, "execveat(memfd, \"\", AT_EMPTY_PATH)");
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    execve(path, args, environ);
    blocked(errno, "execve(%s) of a memfd", path);
  }
  if (MODE("deleted")) {
    ARGS(4, "deleted PROG OUTDIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/payload-%d", argv[3], (int)getpid());
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0755);
    if (fd < 0) error("create %s", path);
    if (copy_into(fd, prog) < 0) error("copy %s", prog);
    close(fd);
    fd = open(path, O_PATH);
    if (fd < 0) error("open %s", path);
    if (unlink(path) < 0) error("unlink %s", path);
    args[1] = NULL;
    syscall(SYS_execveat, fd, "", args, environ, AT_EMPTY_PATH);
    blocked(errno, "execveat of a deleted file's fd");
  }
  fprintf(stderr, "execfd: unknown mode %s\n", argv[1]);
  return 2;
}
