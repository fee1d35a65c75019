/*
 * Syscall ABI tricks: the same call through a door the filter might not watch.
 *
 *   abi x32 PATH           openat through the x32 ABI (nr | __X32_SYSCALL_BIT, 0x40000000)
 *   abi int80 PATH         open + read through the 32-bit ABI: int 0x80 from this 64-bit process
 *                          (seccomp_data.arch is AUDIT_ARCH_I386 there, and the numbers are i386's)
 *   abi int80-probe -      getpid through int 0x80, printing "ok PID": does this machine have the
 *                          32-bit entry at all? (Some guests fault on it: the probe dies of SIGSEGV.)
 *   abi newnr PATH         fchmodat2 (452, Linux 6.6): a path syscall newer than syscage's table
 *   abi legacy-open PATH   open(2): x86_64 has it, aarch64 does not (a profile written for openat)
 *   abi legacy-creat PATH  creat(2): x86_64 only, creates PATH
 */
#include "escape.h"
#include <sys/mman.h>

#define X32_BIT 0x40000000L
#define NR_FCHMODAT2 452
#define I386_READ 3
#define I386_OPEN 5
#define I386_GETPID 20

static long int80(long nr, long a, long b, long c) {
  long r;
  __asm__ volatile("int $0x80" : "=a"(r) : "a"(nr), "b"(a), "c"(b), "d"(c) : "memory");
  return r;
}

int main(int argc, char **argv) {
  ARGS(3, "x32|int80|int80-probe|newnr|legacy-open|legacy-creat PATH");
  const char *path = argv[2];
  if (MODE("x32")) {
    opened(syscall(X32_BIT | SYS_openat, AT_FDCWD, path, O_RDONLY, 0), "x32 openat");
  }
  if (MODE("int80-probe")) {
    printf("ok %ld\n", int80(I386_GETPID, 0, 0, 0));
    return 0;
  }
  if (MODE("int80")) {
    /* int 0x80 passes 32-bit registers: the path and the buffer must live below 4 GiB. */
    char *low = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
    if (low == MAP_FAILED) error("mmap(MAP_32BIT)");
    strncpy(low, path, 4095);
    long fd = int80(I386_OPEN, (long)(uintptr_t)low, O_RDONLY, 0);
    if (fd < 0) blocked((int)-fd, "int 0x80 open (i386 nr 5)");
    long n = int80(I386_READ, fd, (long)(uintptr_t)(low + 4096), 100);
    if (n < 0) blocked((int)-n, "int 0x80 read");
    low[4096 + n] = 0;
    char *nl = strchr(low + 4096, '\n');
    if (nl) *nl = 0;
    escaped("int 0x80 open+read: read \"%s\"", low + 4096);
  }
  if (MODE("newnr")) {
    struct stat before;
    if (stat(path, &before) < 0) note("cannot stat %s before (%s)", path, errname(errno));
    if (syscall(NR_FCHMODAT2, AT_FDCWD, path, 0600, 0) < 0) blocked(errno, "fchmodat2 (452)");
    escaped("fchmodat2 (452) changed the mode of %s to 0600", path);
  }
  if (MODE("legacy-open")) {
    opened(syscall(SYS_open, path, O_RDONLY, 0), "open(2)");
  }
  if (MODE("legacy-creat")) {
    long fd = syscall(SYS_creat, path, 0644);
    if (fd < 0) blocked(errno, "creat(2)");
    if (write((int)fd, "created by abi legacy-creat\n", 28) < 0) note("write: %s", errname(errno));
    escaped("creat(2) created %s", path);
  }
  fprintf(stderr, "abi: unknown mode %s\n", argv[1]);
  return 2;
}
