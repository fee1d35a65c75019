/*
 * attempt — the workload of test-arm64/run.mjs: a static aarch64 program that makes the calls
 * syscage must decide, one operation after another, and says what each returned, so the runner
 * can check the kernel's effect as the sandboxed program saw it (not just an exit status).
 *
 *   attempt OP ARGS... [OP ARGS...]...
 *
 * One line per operation on stdout, written straight to fd 1 (no stdio buffer a kill could lose):
 *   "<op> ok <detail>"          it worked
 *   "<op> err <ERRNO> <n>"      it failed with that errno (strerrorname_np)
 *
 * Operations (paths absolute or relative to the cwd):
 *   read PATH             openat(AT_FDCWD, PATH, O_RDONLY) and read:          "read ok N bytes"
 *   openat DIR REL        open DIR (O_PATH), openat(dirfd, REL) and read:       "openat ok N bytes"
 *   openflags PATH FLAGS  openat(AT_FDCWD, PATH, O_RDONLY | FLAGS) and read, FLAGS a number (0x hex):
 *                         the raw open flags of this arch (arm64 renumbers O_NOFOLLOW, O_LARGEFILE...)
 *   write PATH            openat(O_WRONLY|O_CREAT|O_TRUNC) and write "written": "write ok"
 *   rename FROM TO        rename(2) (glibc: renameat2 on aarch64, there is no renameat)
 *   exec PATH WORD        fork; the child execve(PATH, [PATH, WORD]); the parent reports the exec's
 *                         errno (through a CLOEXEC pipe) or the child's exit status: "exec ok exit N"
 *   spawn PATH WORD       the same with posix_spawn (glibc: clone(CLONE_VM|CLONE_VFORK))
 *   connect IP PORT       TCP connect to an IPv4 address:                       "connect ok"
 *   sendto IP PORT        one UDP datagram with sendto(2) (the address is argument 4)
 *   threads N OK NO       N pthreads, each opening OK and NO ROUNDS times; "threads ok n N good G
 *                         refused R other O" (good: OK opened, refused: NO failed with EPERM)
 *   fork N OK NO          N children by fork(2), each opening OK and NO once: "fork ok n N good G"
 *                         (good: the child opened OK and NO failed with EPERM)
 *   sleepers N FILE       N children, each with a child of its own, all sleeping 60 s; every pid
 *                         (this process's too) appended to FILE
 *   ready                 prints "ready"
 *   sleep SECONDS
 *   exit STATUS           exits with STATUS now
 * After the last operation: exit 0.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ROUNDS 20

extern char **environ;

static void say(const char *fmt, ...) {
  char line[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(line, sizeof line - 1, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if (n > (int)sizeof line - 2) n = sizeof line - 2;
  line[n++] = '\n';
  for (int off = 0; off < n;) {
    ssize_t w = write(1, line + off, (size_t)(n - off));
    if (w <= 0) return;
    off += (int)w;
  }
}

static const char *ename(int e) {
  const char *s = strerrorname_np(e);
  return s ? s : "E?";
}

static void fail(const char *op, int e) { say("%s err %s %d", op, ename(e), e); }

static void usage(const char *why) {
  dprintf(2, "attempt: %s\n", why);
  exit(2);
}

/* Opens (dirfd, path) for reading and reads it; bytes read, or -errno. */
static long read_at(int dirfd, const char *path) {
  int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -errno;
  char buf[4096];
  long total = 0;
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0) { int e = errno; close(fd); return -e; }
    if (n == 0) break;
    total += n;
  }
  close(fd);
  return total;
}

static void op_read(const char *path) {
  long r = read_at(AT_FDCWD, path);
  if (r < 0) fail("read", (int)-r); else say("read ok %ld bytes", r);
}

static void op_openflags(const char *path, const char *flags) {
  int fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | (int)strtol(flags, NULL, 0));
  if (fd < 0) { fail("openflags", errno); return; }
  char buf[4096];
  ssize_t n = read(fd, buf, sizeof buf);
  int e = errno;
  close(fd);
  if (n < 0) fail("openflags", e); else say("openflags ok %ld bytes", (long)n);
}

static void op_openat(const char *dir, const char *rel) {
  int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) { fail("openat", errno); return; }
  long r = read_at(dfd, rel);
  close(dfd);
  if (r < 0) fail("openat", (int)-r); else say("openat ok %ld bytes", r);
}

static void op_write(const char *path) {
  int fd = openat(AT_FDCWD, path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) { fail("write", errno); return; }
  if (write(fd, "written\n", 8) != 8) { fail("write", errno); close(fd); return; }
  close(fd);
  say("write ok");
}

static void op_rename(const char *from, const char *to) {
  if (rename(from, to) < 0) fail("rename", errno); else say("rename ok");
}

static void report_status(const char *op, int status) {
  if (WIFEXITED(status)) say("%s ok exit %d", op, WEXITSTATUS(status));
  else if (WIFSIGNALED(status)) say("%s ok signal %d", op, WTERMSIG(status));
  else say("%s ok status 0x%x", op, status);
}

static void op_exec(const char *path, const char *word) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0) { fail("exec", errno); return; }
  pid_t pid = fork();
  if (pid < 0) { fail("exec", errno); return; }
  if (pid == 0) {
    char *argv[] = {(char *)path, (char *)word, NULL};
    execve(path, argv, environ);
    int e = errno;
    if (write(p[1], &e, sizeof e) < 0) _exit(125);
    _exit(126);
  }
  close(p[1]);
  int e = 0;
  ssize_t n = read(p[0], &e, sizeof e);
  close(p[0]);
  int status;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
  if (n == sizeof e) fail("exec", e);
  else report_status("exec", status);
}

static void op_spawn(const char *path, const char *word) {
  char *argv[] = {(char *)path, (char *)word, NULL};
  pid_t pid;
  int r = posix_spawn(&pid, path, NULL, NULL, argv, environ);
  if (r != 0) { fail("spawn", r); return; }
  int status;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
  report_status("spawn", status);
}

static int address(const char *ip, const char *port, struct sockaddr_in *sa) {
  memset(sa, 0, sizeof *sa);
  sa->sin_family = AF_INET;
  sa->sin_port = htons((unsigned short)atoi(port));
  return inet_pton(AF_INET, ip, &sa->sin_addr) == 1;
}

static void op_connect(const char *ip, const char *port) {
  struct sockaddr_in sa;
  if (!address(ip, port, &sa)) usage("connect: not an IPv4 address");
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) { fail("connect", errno); return; }
  if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) fail("connect", errno);
  else say("connect ok");
  close(fd);
}

static void op_sendto(const char *ip, const char *port) {
  struct sockaddr_in sa;
  if (!address(ip, port, &sa)) usage("sendto: not an IPv4 address");
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) { fail("sendto", errno); return; }
  if (sendto(fd, "x", 1, 0, (struct sockaddr *)&sa, sizeof sa) < 0) fail("sendto", errno);
  else say("sendto ok");
  close(fd);
}

/*
 * mmsg IP PORT: with one more (idle) thread in the process, sendmmsg two datagrams to IP:PORT;
 * "mmsg sent N". Under syscage the sandbox is held still for the call, and a held sendmmsg is cut
 * to its first message by writing 1 into its third argument (x2 on aarch64): N is 1.
 */
static int idle_pipe[2];
static void *idle_body(void *arg) { (void)arg; char c; (void)!read(idle_pipe[0], &c, 1); return NULL; }

static void op_mmsg(const char *ip, const char *port) {
  struct sockaddr_in sa;
  if (!address(ip, port, &sa)) usage("mmsg: not an IPv4 address");
  pthread_t idle;
  if (pipe(idle_pipe) < 0 || pthread_create(&idle, NULL, idle_body, NULL) != 0) { fail("mmsg", errno); return; }
  usleep(20000); /* the idle thread is blocked in read */
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  struct iovec iov = { (void *)"m", 1 };
  struct mmsghdr v[2];
  memset(v, 0, sizeof v);
  for (int i = 0; i < 2; i++) {
    v[i].msg_hdr.msg_name = &sa;
    v[i].msg_hdr.msg_namelen = sizeof sa;
    v[i].msg_hdr.msg_iov = &iov;
    v[i].msg_hdr.msg_iovlen = 1;
  }
  int n = fd < 0 ? -1 : sendmmsg(fd, v, 2, 0);
  if (n < 0) fail("mmsg", errno);
  else say("mmsg sent %d", n);
  (void)!write(idle_pipe[1], "x", 1);
  pthread_join(idle, NULL);
  if (fd >= 0) close(fd);
}

struct tally { const char *ok, *no; long good, refused, other; int other_errno; };

static void *thread_body(void *arg) {
  struct tally *t = arg;
  for (int i = 0; i < ROUNDS; i++) {
    long a = read_at(AT_FDCWD, t->ok);
    long b = read_at(AT_FDCWD, t->no);
    if (a >= 0) t->good++; else { t->other++; t->other_errno = (int)-a; }
    if (b == -EPERM) t->refused++; else { t->other++; t->other_errno = b < 0 ? (int)-b : 0; }
  }
  return NULL;
}

static void op_threads(int n, const char *ok, const char *no) {
  pthread_t *tids = calloc((size_t)n, sizeof *tids);
  struct tally *t = calloc((size_t)n, sizeof *t);
  for (int i = 0; i < n; i++) {
    t[i].ok = ok;
    t[i].no = no;
    int r = pthread_create(&tids[i], NULL, thread_body, &t[i]);
    if (r != 0) { fail("threads", r); return; }
  }
  long good = 0, refused = 0, other = 0;
  int other_errno = 0;
  for (int i = 0; i < n; i++) {
    pthread_join(tids[i], NULL);
    good += t[i].good;
    refused += t[i].refused;
    other += t[i].other;
    if (t[i].other) other_errno = t[i].other_errno;
  }
  say("threads ok n %d good %ld refused %ld other %ld%s%s", n, good, refused, other, other ? " last " : "",
      other ? (other_errno ? ename(other_errno) : "success") : "");
  free(tids);
  free(t);
}

static void op_fork(int n, const char *ok, const char *no) {
  pid_t *pids = calloc((size_t)n, sizeof *pids);
  for (int i = 0; i < n; i++) {
    pids[i] = fork();
    if (pids[i] < 0) { fail("fork", errno); return; }
    if (pids[i] == 0) {
      long a = read_at(AT_FDCWD, ok);
      long b = read_at(AT_FDCWD, no);
      _exit(a < 0 ? 1 : b == -EPERM ? 0 : b >= 0 ? 2 : 3);
    }
  }
  int good = 0, codes[4] = {0, 0, 0, 0};
  for (int i = 0; i < n; i++) {
    int status;
    while (waitpid(pids[i], &status, 0) < 0 && errno == EINTR) {}
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) good++;
    else if (WIFEXITED(status) && WEXITSTATUS(status) < 4) codes[WEXITSTATUS(status)]++;
  }
  say("fork ok n %d good %d ok-failed %d no-succeeded %d no-other-errno %d", n, good, codes[1], codes[2], codes[3]);
  free(pids);
}

static void append_pid(const char *file) {
  int fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return;
  dprintf(fd, "%d\n", (int)getpid());
  close(fd);
}

static void op_sleepers(int n, const char *file) {
  append_pid(file);
  for (int i = 0; i < n; i++) {
    pid_t pid = fork();
    if (pid < 0) { fail("sleepers", errno); return; }
    if (pid == 0) {
      pid_t g = fork();
      if (g == 0) { append_pid(file); sleep(60); _exit(0); }
      append_pid(file);
      sleep(60);
      _exit(0);
    }
  }
  /* Every pid written before "ready": 1 + 2n lines. */
  for (int tries = 0; tries < 3000; tries++) {
    FILE *f = fopen(file, "r");
    int lines = 0, c;
    if (f) { while ((c = fgetc(f)) != EOF) if (c == '\n') lines++; fclose(f); }
    if (lines >= 1 + 2 * n) { say("sleepers ok %d", lines); return; }
    usleep(10000);
  }
  say("sleepers err ETIMEDOUT 0");
}

int main(int argc, char **argv) {
  int i = 1;
#define NEED(k) do { if (i + (k) >= argc) usage("missing arguments"); } while (0)
  while (i < argc) {
    const char *op = argv[i];
    if (!strcmp(op, "read")) { NEED(1); op_read(argv[i + 1]); i += 2; }
    else if (!strcmp(op, "openflags")) { NEED(2); op_openflags(argv[i + 1], argv[i + 2]); i += 3; }
    else if (!strcmp(op, "openat")) { NEED(2); op_openat(argv[i + 1], argv[i + 2]); i += 3; }
    else if (!strcmp(op, "write")) { NEED(1); op_write(argv[i + 1]); i += 2; }
    else if (!strcmp(op, "rename")) { NEED(2); op_rename(argv[i + 1], argv[i + 2]); i += 3; }
    else if (!strcmp(op, "exec")) { NEED(2); op_exec(argv[i + 1], argv[i + 2]); i += 3; }
    else if (!strcmp(op, "spawn")) { NEED(2); op_spawn(argv[i + 1], argv[i + 2]); i += 3; }
    else if (!strcmp(op, "connect")) { NEED(2); op_connect(argv[i + 1], argv[i + 2]); i += 3; }
    else if (!strcmp(op, "sendto")) { NEED(2); op_sendto(argv[i + 1], argv[i + 2]); i += 3; }
    else if (!strcmp(op, "mmsg")) { NEED(2); op_mmsg(argv[i + 1], argv[i + 2]); i += 3; }
    else if (!strcmp(op, "threads")) { NEED(3); op_threads(atoi(argv[i + 1]), argv[i + 2], argv[i + 3]); i += 4; }
    else if (!strcmp(op, "fork")) { NEED(3); op_fork(atoi(argv[i + 1]), argv[i + 2], argv[i + 3]); i += 4; }
    else if (!strcmp(op, "sleepers")) { NEED(2); op_sleepers(atoi(argv[i + 1]), argv[i + 2]); i += 3; }
    else if (!strcmp(op, "ready")) { say("ready"); i += 1; }
    else if (!strcmp(op, "sleep")) { NEED(1); sleep((unsigned)atoi(argv[i + 1])); i += 2; }
    else if (!strcmp(op, "exit")) { NEED(1); exit(atoi(argv[i + 1])); }
    else usage(op);
  }
  return 0;
}
