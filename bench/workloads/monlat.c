/* monlat: the runtime tier's detection latency, act → kill, as the monitored program sees it.
 *
 *   monlat OUT N GAP_US EXEC FILE PORT   N rounds of three acts (exec, open, connect), interleaved
 *   monlat hold                          sleep until killed (what the exec act runs)
 *
 * Each act is done by a fresh child (forked after a random pause of 0..GAP_US µs, so that acts
 * fall at any phase of the monitor's polls). The child writes CLOCK_MONOTONIC into a page shared
 * with the parent just before its refused act, then waits to be killed:
 *
 *   exec     execve(EXEC, [EXEC, "hold"]): a program exec.allow does not name
 *   open     open(FILE, O_RDONLY) and hold it: a file files.deny names
 *   connect  a TCP connection to 127.0.0.1:PORT, held: a peer network.connect does not allow
 *
 * The parent blocks in waitpid and reads CLOCK_MONOTONIC when it returns: act → kill as one clock
 * (Node's process.hrtime is CLOCK_MONOTONIC too). A child not killed within 2 s is killed by the
 * parent and counted as a miss. Writes "ACT NS" per act (NS = -1: missed; -2: the act failed) to
 * OUT at the end, then exits 0. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *ACTS[] = {"exec", "open", "connect"};

static int64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static volatile pid_t current;
static volatile sig_atomic_t timed_out;

static void on_alarm(int sig)
{
    (void)sig;
    timed_out = 1;
    if (current > 0) kill(current, SIGKILL);
}

static void hold(void)
{
    for (;;) pause();
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "hold") == 0) hold();
    if (argc != 7) {
        fprintf(stderr, "usage: monlat OUT N GAP_US EXEC FILE PORT | monlat hold\n");
        return 2;
    }
    const char *out = argv[1];
    long n = atol(argv[2]);
    long gap = atol(argv[3]);
    const char *exec_path = argv[4];
    const char *file = argv[5];
    int port = atoi(argv[6]);

    volatile int64_t *shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (shared == MAP_FAILED) { perror("monlat: mmap"); return 1; }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm; /* no SA_RESTART: waitpid returns EINTR, and is called again */
    sigaction(SIGALRM, &sa, NULL);

    long total = n * 3;
    int64_t *ns = calloc((size_t)total, sizeof *ns);
    int *act_of = calloc((size_t)total, sizeof *act_of);
    if (!ns || !act_of) return 1;
    srand((unsigned)now_ns());

    for (long i = 0; i < total; i++) {
        int act = (int)(i % 3);
        act_of[i] = act;
        if (gap > 0) {
            long us = rand() % gap;
            struct timespec d = {us / 1000000, (us % 1000000) * 1000};
            while (nanosleep(&d, &d) != 0 && errno == EINTR) {}
        }
        shared[0] = 0;
        pid_t pid = fork();
        if (pid < 0) { perror("monlat: fork"); return 1; }
        if (pid == 0) {
            if (act == 0) {
                shared[0] = now_ns();
                execl(exec_path, exec_path, "hold", (char *)NULL);
                _exit(127);
            } else if (act == 1) {
                shared[0] = now_ns();
                int fd = open(file, O_RDONLY);
                if (fd < 0) _exit(126);
            } else {
                struct sockaddr_in a;
                memset(&a, 0, sizeof a);
                a.sin_family = AF_INET;
                a.sin_port = htons((uint16_t)port);
                a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
                int s = socket(AF_INET, SOCK_STREAM, 0);
                if (s < 0) _exit(125);
                shared[0] = now_ns();
                if (connect(s, (struct sockaddr *)&a, sizeof a) != 0) _exit(124);
            }
            hold();
        }
        current = pid;
        timed_out = 0;
        alarm(2);
        int status = 0;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
        int64_t t1 = now_ns();
        alarm(0);
        current = 0;
        if (timed_out) ns[i] = -1;
        else if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL || shared[0] == 0) ns[i] = -2;
        else ns[i] = t1 - shared[0];
    }

    FILE *f = fopen(out, "w");
    if (!f) { perror("monlat: fopen"); return 1; }
    for (long i = 0; i < total; i++) fprintf(f, "%s %lld\n", ACTS[act_of[i]], (long long)ns[i]);
    fclose(f);
    return 0;
}
