/*
 * The protocol of the escape-attempt corpus (test/escapes/README.md).
 *
 * An attempt tries ONE forbidden action and says on stdout how it went; its
 * LAST line of the two kinds below is the verdict:
 *
 *   ESCAPED <what happened>       the forbidden action took effect
 *   BLOCKED <ERRNO> <which step>  a step of the attack was refused
 *
 * and any number of "NOTE ..." lines on the way (tries, addresses, pids).
 * A setup step that has nothing to do with the attack and fails prints
 * "ERROR ..." and exits 3: the run proves nothing either way. A process that
 * is killed prints nothing; the test then looks at the audit log.
 *
 * Everything is x86_64 Linux, glibc; raw syscall() where glibc has no wrapper.
 */
#ifndef ESCAPE_H
#define ESCAPE_H
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

static inline const char *errname(int e) {
  const char *n = strerrorname_np(e);
  return n ? n : "E?";
}

static void vline(const char *kind, const char *fmt, va_list ap) {
  printf("%s ", kind);
  vprintf(fmt, ap);
  printf("\n");
  fflush(stdout);
}

/* The forbidden action took effect: say what, and end. */
__attribute__((unused, noreturn, format(printf, 1, 2))) static void escaped(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vline("ESCAPED", fmt, ap);
  va_end(ap);
  exit(0);
}

/* A step of the attack was refused with errno `e`: say which, and end. */
__attribute__((unused, noreturn, format(printf, 2, 3))) static void blocked(int e, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  printf("BLOCKED %s ", errname(e));
  vprintf(fmt, ap);
  printf("\n");
  fflush(stdout);
  va_end(ap);
  exit(0);
}

/* Blocked for a reason that is not an errno (the kernel ignored a request, ...). */
__attribute__((unused, noreturn, format(printf, 1, 2))) static void blocked_because(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vline("BLOCKED", fmt, ap);
  va_end(ap);
  exit(0);
}

__attribute__((unused, format(printf, 1, 2))) static void note(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vline("NOTE", fmt, ap);
  va_end(ap);
}

/* Setup failed for a reason unrelated to the attack: the run proves nothing. */
__attribute__((unused, noreturn, format(printf, 1, 2))) static void error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int e = errno;
  printf("ERROR ");
  vprintf(fmt, ap);
  printf(" (%s)\n", errname(e));
  fflush(stdout);
  va_end(ap);
  exit(3);
}

/* Up to the first newline of what fd holds (at most 120 bytes, printable). */
__attribute__((unused)) static const char *first_line(int fd, char *buf, size_t size) {
  ssize_t n = read(fd, buf, size - 1);
  if (n < 0) n = 0;
  buf[n] = 0;
  for (ssize_t i = 0; i < n; i++) {
    if (buf[i] == '\n') {
      buf[i] = 0;
      break;
    }
    if ((unsigned char)buf[i] < 0x20 || (unsigned char)buf[i] > 0x7e) buf[i] = '.';
  }
  return buf;
}

/* The end of every "open something forbidden" attempt: fd < 0 is blocked (errno), else read it. */
__attribute__((unused, noreturn)) static void opened(long fd, const char *what) {
  if (fd < 0) blocked(errno, "%s", what);
  char buf[128];
  escaped("%s: read \"%s\"", what, first_line((int)fd, buf, sizeof buf));
}

/* The `TracerPid:` of /proc/self/status (0 when not traced, -1 when unreadable). */
__attribute__((unused)) static int tracer_pid(void) {
  int fd = open("/proc/self/status", O_RDONLY);
  if (fd < 0) return -1;
  char buf[4096];
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return -1;
  buf[n] = 0;
  char *p = strstr(buf, "TracerPid:");
  return p ? atoi(p + 10) : -1;
}

#define ARGS(n, usage) \
  do { \
    if (argc < (n)) { \
      fprintf(stderr, "usage: %s %s\n", argv[0], usage); \
      return 2; \
    } \
  } while (0)
#define MODE(name) (strcmp(argv[1], name) == 0)

#endif
