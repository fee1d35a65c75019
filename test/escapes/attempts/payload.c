/*
 * What the exec attempts try to start: a program the profile does not allow
 * (it lives in a readable directory that exec.allow does not name). If it
 * runs, the attempt escaped: it says so itself. Also the setuid probe
 * (installed setuid to another user by the test): "euid" tells whether the
 * kernel honoured the setuid bit.
 */
#include "escape.h"

int main(int argc, char **argv) {
  (void)argc;
  char exe[512] = "?";
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n > 0) exe[n] = 0;
  if (argc > 1 && strcmp(argv[1], "euid") == 0) {
    if (geteuid() != getuid()) escaped("setuid program ran with euid %d (uid %d)", (int)geteuid(), (int)getuid());
    blocked_because("the setuid bit was ignored: euid %d = uid %d", (int)geteuid(), (int)getuid());
  }
  escaped("exec of a forbidden program: pid %d runs %s", (int)getpid(), exe);
}
