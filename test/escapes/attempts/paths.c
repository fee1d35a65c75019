/*
 * Path tricks: names that reach a forbidden file through something allowed.
 *
 *   paths open PATH                  open(PATH, O_RDONLY) (the ".." and /proc/self/root forms come from the test)
 *   paths symchain OUT TARGETDIR NAME  plant OUT/c1 -> c2 -> OUT/c3 -> TARGETDIR, open OUT/c1/NAME
 *   paths hardlink SRC DST           link(SRC, DST) in a writable directory, then read DST
 *   paths linkat-fd SRC DST          fd = open(SRC, O_PATH) (readable), linkat(fd, "", DST, AT_EMPTY_PATH),
 *                                    then append to SRC through DST: a write to a read-only file
 *   paths procfd-dotdot DIR REL      open("/proc/self/fd/<fd of DIR>/REL")
 *   paths procfd-reopen FILE         fd = open(FILE, O_RDONLY); reopen "/proc/self/fd/<fd>" O_WRONLY and append
 *   paths supproc ppid|tracer|dotdot REL
 *                                    open "/proc/<supervisor>/REL": the supervisor found as getppid(),
 *                                    as TracerPid (a thread of it), or as /proc/self/../<ppid>/REL
 *   paths supproc-link OUT REL       plant OUT/sup -> /proc/<getppid()> in a writable directory, open OUT/sup/REL
 *   paths longpath DIR REL           DIR/././.../REL padded to 4095 bytes: the longest path the kernel takes
 *   paths deep-setup BASE TARGET N   (setup, outside) BASE/deep/<200 x 'd'>/... N levels deep (more than
 *                                    PATH_MAX in all), a symlink "s" -> TARGET at the bottom
 *   paths deep BASE N                chdir down that chain one level at a time, then open("s")
 *   paths pageend PATH               PATH copied so that its NUL is the last byte before an unmapped page
 */
#include "escape.h"
#include <sys/mman.h>

#define LEVEL 200

static void plant(const char *target, const char *link) {
  unlink(link);
  if (symlink(target, link) < 0) blocked(errno, "symlink %s -> %s", link, target);
}

int main(int argc, char **argv) {
  ARGS(3, "MODE ARGS...");
  char path[8192];
  if (MODE("open")) opened(open(argv[2], O_RDONLY), argv[2]);
  if (MODE("symchain")) {
    ARGS(5, "symchain OUT TARGETDIR NAME");
    char l1[4096], l3[4096];
    snprintf(l1, sizeof l1, "%s/c1", argv[2]);
    snprintf(l3, sizeof l3, "%s/c3", argv[2]);
    plant("c2", l1);
    snprintf(path, sizeof path, "%s/c2", argv[2]);
    plant(l3, path);
    plant(argv[3], l3);
    snprintf(path, sizeof path, "%s/c1/%s", argv[2], argv[4]);
    opened(open(path, O_RDONLY), path);
  }
  if (MODE("hardlink")) {
    ARGS(4, "hardlink SRC DST");
    unlink(argv[3]);
    if (link(argv[2], argv[3]) < 0) blocked(errno, "link %s -> %s", argv[3], argv[2]);
    opened(open(argv[3], O_RDONLY), "a hard link to it");
  }
  if (MODE("linkat-fd")) {
    ARGS(4, "linkat-fd SRC DST");
    unlink(argv[3]);
    int fd = open(argv[2], O_PATH);
    if (fd < 0) error("open(%s, O_PATH)", argv[2]);
    if (linkat(fd, "", AT_FDCWD, argv[3], AT_EMPTY_PATH) < 0) blocked(errno, "linkat(O_PATH fd, \"\", %s, AT_EMPTY_PATH)", argv[3]);
    int w = open(argv[3], O_WRONLY | O_APPEND);
    if (w < 0) blocked(errno, "open the new link for writing");
    if (write(w, "tampered\n", 9) != 9) blocked(errno, "write");
    escaped("appended to %s through the hard link %s", argv[2], argv[3]);
  }
  if (MODE("procfd-dotdot")) {
    ARGS(4, "procfd-dotdot DIR REL");
    int d = open(argv[2], O_RDONLY | O_DIRECTORY);
    if (d < 0) error("open %s", argv[2]);
    snprintf(path, sizeof path, "/proc/self/fd/%d/%s", d, argv[3]);
    opened(open(path, O_RDONLY), path);
  }
  if (MODE("procfd-reopen")) {
    int fd = open(argv[2], O_RDONLY);
    if (fd < 0) error("open %s", argv[2]);
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    int w = open(path, O_WRONLY | O_APPEND);
    if (w < 0) blocked(errno, "reopen %s (a read-only fd of %s) for writing", path, argv[2]);
    if (write(w, "tampered\n", 9) != 9) blocked(errno, "write");
    escaped("appended to %s by reopening its read-only fd through %s", argv[2], path);
  }
  if (MODE("supproc")) {
    ARGS(4, "supproc ppid|tracer|dotdot REL");
    int ppid = (int)getppid(), tracer = tracer_pid();
    note("ppid %d, TracerPid %d", ppid, tracer);
    if (MODE("supproc") && strcmp(argv[2], "tracer") == 0) {
      if (tracer <= 0) error("not traced (TracerPid %d)", tracer);
      snprintf(path, sizeof path, "/proc/%d/%s", tracer, argv[3]);
    } else if (strcmp(argv[2], "dotdot") == 0) {
      snprintf(path, sizeof path, "/proc/self/../%d/%s", ppid, argv[3]);
    } else {
      snprintf(path, sizeof path, "/proc/%d/%s", ppid, argv[3]);
    }
    opened(open(path, O_RDONLY), path);
  }
  if (MODE("supproc-link")) {
    ARGS(4, "supproc-link OUT REL");
    char target[64], link[4096];
    snprintf(target, sizeof target, "/proc/%d", (int)getppid());
    snprintf(link, sizeof link, "%s/sup", argv[2]);
    plant(target, link);
    snprintf(path, sizeof path, "%s/%s", link, argv[3]);
    opened(open(path, O_RDONLY), path);
  }
  if (MODE("longpath")) {
    ARGS(4, "longpath DIR REL");
    size_t fixed = strlen(argv[2]) + 1 + strlen(argv[3]);
    if (fixed + 2 > 4095) error("DIR/REL too long already");
    size_t pad = 4095 - fixed; /* "./" pairs, plus one extra "/" if odd */
    char *p = path;
    p += sprintf(p, "%s/", argv[2]);
    if (pad % 2) *p++ = '/';
    for (size_t i = 0; i < pad / 2; i++) { *p++ = '.'; *p++ = '/'; }
    strcpy(p, argv[3]);
    note("path of %zu bytes (PATH_MAX 4096 with its NUL)", strlen(path));
    opened(open(path, O_RDONLY), "a 4095-byte path");
  }
  if (MODE("deep-setup") || MODE("deep")) {
    ARGS(4, "deep-setup BASE TARGET N | deep BASE N");
    int n = atoi(argv[MODE("deep") ? 3 : 4]);
    char level[LEVEL + 1];
    memset(level, 'd', LEVEL);
    level[LEVEL] = 0;
    snprintf(path, sizeof path, "%s/deep", argv[2]);
    if (MODE("deep-setup")) mkdir(path, 0755);
    if (chdir(path) < 0) MODE("deep") ? blocked(errno, "chdir %s", path) : error("chdir %s", path);
    size_t total = strlen(path);
    for (int i = 0; i < n; i++) {
      if (MODE("deep-setup") && mkdir(level, 0755) < 0 && errno != EEXIST) error("mkdir level %d", i);
      if (chdir(level) < 0) {
        if (MODE("deep-setup")) error("chdir level %d", i);
        blocked(errno, "chdir to level %d (the working directory would be %zu bytes long)", i + 1, total + LEVEL + 1);
      }
      total += LEVEL + 1;
    }
    if (MODE("deep-setup")) {
      unlink("s");
      if (symlink(argv[3], "s") < 0) error("symlink s");
      printf("DEEP %zu bytes\n", total + 2);
      return 0;
    }
    note("working directory is %zu bytes long", total);
    opened(open("s", O_RDONLY), "\"s\" at the bottom of a working directory longer than PATH_MAX");
  }
  if (MODE("pageend")) {
    size_t len = strlen(argv[2]) + 1;
    char *two = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (two == MAP_FAILED) error("mmap");
    if (munmap(two + 4096, 4096) < 0) error("munmap");
    char *s = two + 4096 - len;
    memcpy(s, argv[2], len);
    note("path at %p, its NUL at %p, unmapped from %p", (void *)s, (void *)(s + len - 1), (void *)(two + 4096));
    opened(open(s, O_RDONLY), "a path ending at an unmapped page");
  }
  fprintf(stderr, "paths: unknown mode %s\n", argv[1]);
  return 2;
}
