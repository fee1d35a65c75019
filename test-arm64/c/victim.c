/*
 * victim — puts itself under a seccomp filter and reports what its syscalls returned: the aarch64
 * twin of test/helpers/victim.mjs, for test-arm64/compile.mjs (a static binary starts in
 * milliseconds under emulation, node in seconds).
 *
 *   victim FILTER.bpf OP...        OP = NR or NR:ARG,ARG,...  (numbers: decimal or 0x hex)
 *
 * FILTER.bpf is a struct sock_filter array (syscage compile --format bpf). It sets
 * PR_SET_DUMPABLE 0 (no core file when SIGSYS kills it) and no_new_privs, installs the filter with
 * seccomp(SECCOMP_SET_MODE_FILTER) and makes each OP with syscall(2), announcing it on stderr first
 * ("op 2 173") so a kill can be attributed. Unnamed arguments are 0. Then one JSON line on stdout:
 *   {"pid": 123, "results": [{"op": "173", "ret": "-18", "errno": 18}, ...]}   (ret: the kernel's raw x0)
 * and exit_group(0). Exit status 2: bad usage, or the filter could not be installed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX_OPS 64

int main(int argc, char **argv) {
  if (argc < 2) { dprintf(2, "usage: victim FILTER.bpf OP...\n"); return 2; }
  static unsigned char filter[65536];
  int fd = open(argv[1], O_RDONLY);
  if (fd < 0) { dprintf(2, "victim: %s: %s\n", argv[1], strerror(errno)); return 2; }
  ssize_t len = read(fd, filter, sizeof filter);
  close(fd);
  if (len <= 0 || len % sizeof(struct sock_filter) != 0) { dprintf(2, "victim: %s: not a filter\n", argv[1]); return 2; }

  int nops = argc - 2;
  if (nops > MAX_OPS) { dprintf(2, "victim: too many ops\n"); return 2; }
  long nr[MAX_OPS];
  unsigned long args[MAX_OPS][6];
  memset(args, 0, sizeof args);
  for (int i = 0; i < nops; i++) {
    char *s = argv[i + 2], *end;
    nr[i] = strtol(s, &end, 0);
    for (int a = 0; *end == ':' || *end == ','; a++) {
      if (a >= 6) { dprintf(2, "victim: %s: more than 6 arguments\n", argv[i + 2]); return 2; }
      args[i][a] = strtoull(end + 1, &end, 0);
    }
    if (*end) { dprintf(2, "victim: bad op %s\n", argv[i + 2]); return 2; }
  }

  struct sock_fprog prog = { .len = (unsigned short)(len / sizeof(struct sock_filter)), .filter = (struct sock_filter *)filter };
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
    dprintf(2, "victim: prctl: %s\n", strerror(errno));
    return 2;
  }
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0) {
    dprintf(2, "victim: seccomp: %s\n", strerror(errno));
    return 2;
  }

  static char out[16384];
  int n = snprintf(out, sizeof out, "{\"pid\": %d, \"results\": [", (int)getpid());
  for (int i = 0; i < nops; i++) {
    dprintf(2, "op %d %s\n", i, argv[i + 2]);
    errno = 0;
    long ret = syscall(nr[i], args[i][0], args[i][1], args[i][2], args[i][3], args[i][4], args[i][5]);
    int e = ret == -1 ? errno : 0;
    long raw = e ? -e : ret; /* what the kernel returned in x0 */
    n += snprintf(out + n, sizeof out - (size_t)n, "%s{\"op\": \"%s\", \"ret\": \"%ld\", \"errno\": %d}", i ? ", " : "", argv[i + 2], raw, e);
  }
  n += snprintf(out + n, sizeof out - (size_t)n, "]}\n");
  if (write(1, out, (size_t)n) < 0) return 2;
  syscall(SYS_exit_group, 0);
  return 0;
}
