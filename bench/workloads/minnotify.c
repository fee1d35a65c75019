/*
 * minnotify: the notification backend's floor — a minimal seccomp user-notification supervisor
 * that performs each checked openat itself, as syscage's notification backend does, in C.
 *
 *   minnotify [-q] [-a PREFIX]... -- cmd [args...]
 *
 * The child sets NO_NEW_PRIVS, installs a filter with SECCOMP_FILTER_FLAG_NEW_LISTENER
 *   arch != this machine's          -> KILL_PROCESS
 *   openat                          -> USER_NOTIF (it waits; the supervisor answers)
 *   everything else                 -> ALLOW
 * says the listener's number on a pipe and execvp()s the command once told to; the parent copies
 * the listener with pidfd_getfd and serves it.
 *
 * Each openat of an absolute path gets the work of syscage's performed open (lib/trace/notify/
 * open.ts), in the same order: ppoll (the listener), NOTIF_RECV, process_vm_readv (the path, read
 * once), the pin (openat2 O_PATH with the caller's O_NOFOLLOW and O_DIRECTORY, and
 * RESOLVE_NO_MAGICLINKS), readlink of /proc/self/fd/PIN (what the pin reached: its real path),
 * the rules (-a prefixes, component-wise, on that real path), NOTIF_ID_VALID, fstat of the pin (its
 * type), the reopen of /proc/self/fd/PIN with the caller's flags, close of the pin, NOTIF_ADDFD
 * with ADDFD_FLAG_SEND (the fd and the answer in one step), close of the fd: 11 syscalls. A path
 * not under a prefix gets EPERM.
 *
 * What it leaves out, and syscage does not: it acts as itself (not as the caller: its ids, mount
 * namespace and root, which the bench's workload shares); a relative path (whatever the dirfd)
 * and an O_CREAT of a missing file run as made (CONTINUE: unchecked, racy); a FIFO or a device is
 * opened on its one thread; no symlink is followed by hand, no magic link at all; it serves until
 * the command's process exits (not its children). A floor for what a performed open costs, not a
 * sandbox.
 *
 * Exit status: the command's (128+N if killed by signal N). -q silences denial messages.
 * Linux 5.14+ (SECCOMP_ADDFD_FLAG_SEND); x86_64 and aarch64.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "floor.h"

#if defined(__x86_64__)
#define THIS_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define THIS_ARCH AUDIT_ARCH_AARCH64
#else
#error "minnotify: x86_64 or aarch64 only"
#endif
#ifndef SECCOMP_RET_KILL_PROCESS
#define SECCOMP_RET_KILL_PROCESS 0x80000000U
#endif
#ifndef SECCOMP_ADDFD_FLAG_SEND
#define SECCOMP_ADDFD_FLAG_SEND (1UL << 1)
#endif

static int quiet;

static void die(const char *what) { perror(what); exit(125); }

/* ---------------------------------------------------------------- child */

static int install_filter(void)
{
    struct sock_filter f[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, THIS_ARCH, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_openat, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
    };
    struct sock_fprog prog = { .len = sizeof f / sizeof f[0], .filter = f };
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) die("prctl(NO_NEW_PRIVS)");
    int listener = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
    if (listener < 0) die("seccomp");
    return listener;
}

static void child_main(char **argv, int say, int hear)
{
    int listener = install_filter();
    char go;
    if (write(say, &listener, sizeof listener) != sizeof listener) die("write(listener)");
    /* The parent must hold the listener before anything is notified: the exec's opens are. */
    if (read(hear, &go, 1) != 1) _exit(125);
    close(listener);
    execvp(argv[0], argv);
    fprintf(stderr, "minnotify: execvp %s: %s\n", argv[0], strerror(errno));
    _exit(127);
}

/* ----------------------------------------------------------- supervisor */


static void answer(int listener, uint64_t id, int64_t val, int error, uint32_t flags)
{
    struct seccomp_notif_resp resp = { .id = id, .val = val, .error = error, .flags = flags };
    ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp); /* ENOENT: the caller is gone, nothing to do */
}

/* One openat: performed here and installed in the caller, refused, or run as made. */
static void serve(int listener, int procfd, const struct seccomp_notif *req)
{
    const __u64 *a = req->data.args;
    int flags = (int)a[2];
    char path[PATH_MAX], self[64], real[PATH_MAX];

    ssize_t n = read_str((pid_t)req->pid, (uintptr_t)a[1], path, sizeof path);
    if (n < 0) { answer(listener, req->id, 0, -errno, 0); return; }
    if (path[0] != '/') { answer(listener, req->id, 0, 0, SECCOMP_USER_NOTIF_FLAG_CONTINUE); return; }

    struct open_how how = {
        .flags = O_PATH | O_CLOEXEC | (flags & (O_NOFOLLOW | O_DIRECTORY)),
        .resolve = RESOLVE_NO_MAGICLINKS,
    };
    int pin = (int)syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof how);
    if (pin < 0) {
        if (errno == ENOENT && (flags & O_CREAT)) answer(listener, req->id, 0, 0, SECCOMP_USER_NOTIF_FLAG_CONTINUE);
        else answer(listener, req->id, 0, -errno, 0);
        return;
    }
    snprintf(self, sizeof self, "self/fd/%d", pin);
    ssize_t r = readlinkat(procfd, self, real, sizeof real - 1);
    if (r >= 0) real[r] = '\0';
    if (r < 0 || !allowed(real)) {
        if (!quiet) fprintf(stderr, "minnotify: denied openat %s\n", path);
        close(pin);
        answer(listener, req->id, 0, -EPERM, 0);
        return;
    }
    uint64_t id = req->id;
    if (ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) != 0) { close(pin); return; }
    struct stat st;
    if (fstat(pin, &st) != 0) { int e = errno; close(pin); answer(listener, req->id, 0, -e, 0); return; }
    if (S_ISLNK(st.st_mode)) { close(pin); answer(listener, req->id, 0, -ELOOP, 0); return; }
    int fd = openat(procfd, self, (flags & ~(O_CREAT | O_EXCL | O_NOFOLLOW)) | O_CLOEXEC | O_NOCTTY);
    int e = errno;
    close(pin);
    if (fd < 0) { answer(listener, req->id, 0, -e, 0); return; }
    struct seccomp_notif_addfd add = {
        .id = req->id, .flags = SECCOMP_ADDFD_FLAG_SEND, .srcfd = (uint32_t)fd,
        .newfd = 0, .newfd_flags = (uint32_t)(flags & O_CLOEXEC),
    };
    ioctl(listener, SECCOMP_IOCTL_NOTIF_ADDFD, &add); /* ENOENT: the caller is gone */
    close(fd);
}

static int parse_args(int argc, char **argv)
{
    int i = 1;
    for (; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) { i++; break; }
        if (strcmp(argv[i], "-q") == 0) quiet = 1;
        else if (strcmp(argv[i], "-a") == 0 && i + 1 < argc) add_prefix("minnotify", argv[++i]);
        else break;
    }
    if (i >= argc) {
        fprintf(stderr, "usage: minnotify [-q] [-a PREFIX]... -- cmd [args...]\n");
        exit(125);
    }
    return i;
}

int main(int argc, char **argv)
{
    int first = parse_args(argc, argv);
    int up[2], down[2];
    if (pipe2(up, O_CLOEXEC) != 0 || pipe2(down, O_CLOEXEC) != 0) die("pipe2");

    pid_t child = fork();
    if (child < 0) die("fork");
    if (child == 0) {
        /* Only the ends it uses: a parent that dies before saying "go" is an end of file here. */
        close(up[0]);
        close(down[1]);
        child_main(argv + first, up[1], down[0]);
    }
    close(up[1]);
    close(down[0]);

    int remote;
    if (read(up[0], &remote, sizeof remote) != sizeof remote) { fprintf(stderr, "minnotify: the child did not start\n"); return 125; }
    int pidfd = (int)syscall(SYS_pidfd_open, child, 0);
    if (pidfd < 0) die("pidfd_open");
    int listener = (int)syscall(SYS_pidfd_getfd, pidfd, remote, 0);
    if (listener < 0) die("pidfd_getfd");
    int procfd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (procfd < 0) die("open /proc");
    if (write(down[1], "g", 1) != 1) die("write(go)");

    struct seccomp_notif req;
    for (;;) {
        struct pollfd p[2] = { { listener, POLLIN, 0 }, { pidfd, POLLIN, 0 } };
        if (ppoll(p, 2, NULL, NULL) < 0) {
            if (errno == EINTR) continue;
            die("ppoll");
        }
        if (p[0].revents & POLLIN) {
            memset(&req, 0, sizeof req);
            if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req) != 0) continue; /* ENOENT: withdrawn */
            serve(listener, procfd, &req);
            continue;
        }
        if (p[0].revents & (POLLHUP | POLLERR) || p[1].revents & POLLIN) break;
    }
    int st;
    if (waitpid(child, &st, 0) != child) die("waitpid");
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
