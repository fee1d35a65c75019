/*
 * Kernel interfaces a sandboxed program has no business with, each of which
 * has been a way out of a sandbox or into the kernel.
 *
 *   kernel personality        personality(ADDR_NO_RANDOMIZE | READ_IMPLIES_EXEC)
 *   kernel unshare            unshare(CLONE_NEWNS): a mount namespace of its own
 *   kernel mount TARGET       mount a tmpfs on TARGET (then unmount it)
 *   kernel bpf                bpf(BPF_MAP_CREATE) of an array map
 *   kernel userfaultfd        userfaultfd(): page faults served by the program (a way to stall any
 *                             reader of its memory, the supervisor's process_vm_readv included)
 *   kernel keyctl             keyctl(KEYCTL_GET_KEYRING_ID, KEY_SPEC_USER_KEYRING): the keyring every
 *                             process of this uid shares
 *   kernel perf               perf_event_open of a software counter
 *   kernel mount-proc OUT     mount a second procfs on OUT/procfs and read the supervisor's (getppid)
 *                             environ and open its mem read-write through it (then unmount)
 *   kernel ns-symlink OUT TARGET
 *                             unshare(CLONE_NEWNS), mount a private tmpfs on OUT/m, plant OUT/m/l -> TARGET
 *                             in it, open OUT/m/l: a symlink only the program's own namespace can see
 */
#include "escape.h"
#include <linux/bpf.h>
#include <linux/keyctl.h>
#include <linux/perf_event.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/personality.h>

int main(int argc, char **argv) {
  ARGS(2, "MODE ARGS...");
  char path[4200];
  if (MODE("personality")) {
    if (personality(ADDR_NO_RANDOMIZE | READ_IMPLIES_EXEC) < 0) blocked(errno, "personality(ADDR_NO_RANDOMIZE|READ_IMPLIES_EXEC)");
    int now = personality(0xffffffff);
    if (now < 0) blocked(errno, "personality(query)");
    escaped("personality is now 0x%x", now);
  }
  if (MODE("unshare")) {
    if (unshare(CLONE_NEWNS) < 0) blocked(errno, "unshare(CLONE_NEWNS)");
    escaped("unshare(CLONE_NEWNS): in a mount namespace of its own");
  }
  if (MODE("mount")) {
    ARGS(3, "mount TARGET");
    if (mount("escape-corpus", argv[2], "tmpfs", 0, "size=64k") < 0) blocked(errno, "mount tmpfs on %s", argv[2]);
    umount2(argv[2], MNT_DETACH);
    escaped("mounted a tmpfs on %s", argv[2]);
  }
  if (MODE("bpf")) {
    union bpf_attr a;
    memset(&a, 0, sizeof a);
    a.map_type = BPF_MAP_TYPE_ARRAY;
    a.key_size = 4;
    a.value_size = 8;
    a.max_entries = 1;
    long fd = syscall(SYS_bpf, BPF_MAP_CREATE, &a, sizeof a);
    if (fd < 0) blocked(errno, "bpf(BPF_MAP_CREATE)");
    escaped("bpf(BPF_MAP_CREATE) made map fd %ld", fd);
  }
  if (MODE("userfaultfd")) {
    long fd = syscall(SYS_userfaultfd, O_CLOEXEC);
    if (fd < 0) blocked(errno, "userfaultfd");
    escaped("userfaultfd() made fd %ld", fd);
  }
  if (MODE("keyctl")) {
    long id = syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_USER_KEYRING, 1);
    if (id < 0) blocked(errno, "keyctl(KEYCTL_GET_KEYRING_ID, KEY_SPEC_USER_KEYRING)");
    escaped("keyctl reached this uid's user keyring, id %ld", id);
  }
  if (MODE("perf")) {
    struct perf_event_attr a;
    memset(&a, 0, sizeof a);
    a.size = sizeof a;
    a.type = PERF_TYPE_SOFTWARE;
    a.config = PERF_COUNT_SW_TASK_CLOCK;
    a.disabled = 1;
    long fd = syscall(SYS_perf_event_open, &a, 0, -1, -1, 0);
    if (fd < 0) blocked(errno, "perf_event_open(PERF_COUNT_SW_TASK_CLOCK)");
    escaped("perf_event_open made fd %ld", fd);
  }
  if (MODE("mount-proc")) {
    ARGS(3, "mount-proc OUT");
    int ppid = (int)getppid();
    snprintf(path, sizeof path, "%s/procfs", argv[2]);
    mkdir(path, 0755);
    if (mount("proc", path, "proc", 0, NULL) < 0) blocked(errno, "mount proc on %s", path);
    char file[4300], buf[256];
    snprintf(file, sizeof file, "%s/%d/environ", path, ppid);
    int fd = open(file, O_RDONLY);
    if (fd < 0) {
      int e = errno;
      umount2(path, MNT_DETACH);
      blocked(e, "open %s", file);
    }
    ssize_t n = read(fd, buf, sizeof buf);
    close(fd);
    note("read %zd bytes of %d's environ through %s", n, ppid, file);
    /* And its memory: opening mem read-write is the kernel granting write access (PTRACE_MODE_ATTACH);
       nothing is written, the supervisor is running. */
    snprintf(file, sizeof file, "%s/%d/mem", path, ppid);
    int mem = open(file, O_RDWR);
    int e = errno;
    if (mem >= 0) close(mem);
    umount2(path, MNT_DETACH);
    if (mem >= 0 && n > 0) escaped("a second procfs on %s: read %zd bytes of %d's environ and opened its mem read-write", path, n, ppid);
    if (n > 0) escaped("a second procfs on %s: read %zd bytes of %d's environ (its mem: %s)", path, n, ppid, errname(e));
    blocked(e, "read %d's environ through %s", ppid, path);
  }
  if (MODE("ns-symlink")) {
    ARGS(4, "ns-symlink OUT TARGET");
    if (unshare(CLONE_NEWNS) < 0) blocked(errno, "unshare(CLONE_NEWNS)");
    snprintf(path, sizeof path, "%s/m", argv[2]);
    mkdir(path, 0755);
    /* Make OUT/m a private mount first, so that nothing propagates back to the parent namespace. */
    if (mount(path, path, NULL, MS_BIND, NULL) < 0) note("bind %s: %s", path, errname(errno));
    if (mount(NULL, path, NULL, MS_PRIVATE, NULL) < 0) note("make %s private: %s", path, errname(errno));
    if (mount("escape-corpus", path, "tmpfs", 0, "size=64k") < 0) blocked(errno, "mount tmpfs on %s", path);
    char link[4300];
    snprintf(link, sizeof link, "%s/l", path);
    if (symlink(argv[3], link) < 0) blocked(errno, "symlink %s -> %s", link, argv[3]);
    opened(open(link, O_RDONLY), "a symlink on a tmpfs only this mount namespace has");
  }
  fprintf(stderr, "kernel: unknown mode %s\n", argv[1]);
  return 2;
}
