/*
 * openat2(2): the path resolution knobs of struct open_how.
 *
 *   openat2 dotdot DIR NAME    openat2(dirfd of DIR, NAME, {O_RDONLY})  (NAME with "..", or absolute)
 *   openat2 inroot DIR NAME    RESOLVE_IN_ROOT: NAME is resolved inside DIR
 */
#include "escape.h"
#include <linux/openat2.h>

int main(int argc, char **argv) {
  ARGS(4, "dotdot|inroot DIR NAME");
  int dfd = open(argv[2], O_RDONLY | O_DIRECTORY);
  if (dfd < 0) error("open %s", argv[2]);
  struct open_how how = { .flags = O_RDONLY, .mode = 0, .resolve = MODE("inroot") ? RESOLVE_IN_ROOT : 0 };
  opened(syscall(SYS_openat2, dfd, argv[3], &how, sizeof how), MODE("inroot") ? "openat2 RESOLVE_IN_ROOT" : "openat2 with a dirfd");
}
