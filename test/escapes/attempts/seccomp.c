/*
 * Installing one's own seccomp filter next to the supervisor's. The kernel
 * runs every filter and keeps the most severe result: SECCOMP_RET_USER_NOTIF
 * outranks SECCOMP_RET_TRACE, so a filter of the tracee's own can take a call
 * away from the supervisor and let a thread of the tracee answer it.
 *
 *   seccomp notif PATH         seccomp(SET_MODE_FILTER, FLAG_NEW_LISTENER): openat -> USER_NOTIF; a thread
 *                              answers every notification with FLAG_CONTINUE; then open PATH
 *   seccomp prctl              prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, allow-all filter)
 *   seccomp trace-bogus PIDFILE  (fail closed) fork a child that sleeps; write both pids to PIDFILE;
 *                              install getppid -> SECCOMP_RET_TRACE|0xfff0 (a trap id no supervisor
 *                              table has) and call getppid(): the supervisor meets data it never made
 */
#include "escape.h"
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#define NR_OFF offsetof(struct seccomp_data, nr)

static long install(unsigned flags, int nr, unsigned action) {
  struct sock_filter f[] = {
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NR_OFF),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)nr, 0, 1),
    BPF_STMT(BPF_RET | BPF_K, action),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog prog = { sizeof f / sizeof f[0], f };
  return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
}

static void *answer(void *arg) {
  int listener = (int)(intptr_t)arg;
  struct seccomp_notif req;
  struct seccomp_notif_resp resp;
  for (;;) {
    memset(&req, 0, sizeof req);
    if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0) continue;
    memset(&resp, 0, sizeof resp);
    resp.id = req.id;
    resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
    ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);
  }
  return NULL;
}

int main(int argc, char **argv) {
  ARGS(2, "notif PATH | prctl | trace-bogus PIDFILE");
  prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); /* already set under syscage; needed without it when not root */
  if (MODE("notif")) {
    ARGS(3, "notif PATH");
    long listener = install(SECCOMP_FILTER_FLAG_NEW_LISTENER, SYS_openat, SECCOMP_RET_USER_NOTIF);
    if (listener < 0) blocked(errno, "seccomp(SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER)");
    note("own filter installed: openat -> SECCOMP_RET_USER_NOTIF, listener fd %ld", listener);
    pthread_t th;
    pthread_create(&th, NULL, answer, (void *)(intptr_t)listener);
    opened(open(argv[2], O_RDONLY), "open answered by the program's own USER_NOTIF listener");
  }
  if (MODE("prctl")) {
    struct sock_filter f[] = { BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
    struct sock_fprog prog = { 1, f };
    if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) < 0) blocked(errno, "prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER)");
    escaped("prctl(PR_SET_SECCOMP) installed a filter of its own");
  }
  if (MODE("trace-bogus")) {
    ARGS(3, "trace-bogus PIDFILE");
    int pf = open(argv[2], O_WRONLY | O_APPEND | O_CREAT, 0644);
    if (pf < 0) error("open %s", argv[2]);
    fflush(stdout);
    pid_t c = fork();
    if (c < 0) error("fork");
    if (c == 0) {
      dprintf(pf, "%d\n", (int)getpid());
      for (;;) pause();
    }
    dprintf(pf, "%d\n", (int)getpid());
    usleep(100 * 1000);
    note("parent %d, child %d", (int)getpid(), (int)c);
    if (install(0, SYS_getppid, SECCOMP_RET_TRACE | 0xfff0) < 0) blocked(errno, "seccomp(SECCOMP_SET_MODE_FILTER) of a bogus TRACE filter");
    note("own filter installed: getppid -> SECCOMP_RET_TRACE|0xfff0");
    long r = syscall(SYS_getppid);
    note("getppid() returned %ld (%s); still running", r, r < 0 ? errname(errno) : "ok");
    /* Still here: stay, so that the test can see who outlives what. */
    sleep(30);
    return 0;
  }
  fprintf(stderr, "seccomp: unknown mode %s\n", argv[1]);
  return 2;
}
