/* openloop-threads [N] [PATH] [K] [GAP_US] [WARM]: openloop with K idle threads.
 * First starts K threads that block in pthread_cond_wait (a futex wait: the
 * state of Node's idle worker threads) and waits until every one of them is
 * waiting; then makes WARM openat+close pairs back to back, untimed (a
 * supervisor that has been running a while: its JIT has compiled the paths a
 * checked call takes); then openat(AT_FDCWD, PATH, O_RDONLY) + close, N times,
 * on the main thread, sleeping GAP_US microseconds (nanosleep) before each
 * openat when GAP_US > 0; then wakes the threads, which exit, and joins them.
 * Prints "openloop-threads: calls NS ns" to stderr: the time spent in the
 * openat+close pairs, by CLOCK_MONOTONIC (vDSO, no syscall) — free of the
 * tool's start-up, and of the sleeps: back to back, the whole loop; spaced,
 * the sum of each pair's own time.
 * Defaults: N=200000, PATH=/etc/passwd, K=0, GAP_US=0, WARM=0.  Exits 1 if any open fails. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ready_cv = PTHREAD_COND_INITIALIZER; /* a thread is waiting */
static pthread_cond_t done_cv = PTHREAD_COND_INITIALIZER;  /* the loop is over */
static long ready;
static int done;

static long long elapsed(const struct timespec *a, const struct timespec *b)
{
    return (long long)(b->tv_sec - a->tv_sec) * 1000000000LL + (b->tv_nsec - a->tv_nsec);
}

static void *idle(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock);
    ready++;
    pthread_cond_signal(&ready_cv);
    while (!done) pthread_cond_wait(&done_cv, &lock); /* releases the lock: main sees ready only once we wait */
    pthread_mutex_unlock(&lock);
    return NULL;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 200000;
    const char *path = argc > 2 ? argv[2] : "/etc/passwd";
    long k = argc > 3 ? atol(argv[3]) : 0;
    long gap = argc > 4 ? atol(argv[4]) : 0;
    long warm = argc > 5 ? atol(argv[5]) : 0;
    struct timespec nap = { gap / 1000000, (gap % 1000000) * 1000 };
    if (k < 0 || k > 4096) { fprintf(stderr, "openloop-threads: K must be 0..4096\n"); return 2; }
    if (gap < 0) { fprintf(stderr, "openloop-threads: GAP_US must be >= 0\n"); return 2; }
    if (warm < 0) { fprintf(stderr, "openloop-threads: WARM must be >= 0\n"); return 2; }
    pthread_t *tids = calloc(k ? (size_t)k : 1, sizeof *tids);
    if (!tids) { perror("openloop-threads: calloc"); return 2; }
    for (long i = 0; i < k; i++) {
        int e = pthread_create(&tids[i], NULL, idle, NULL);
        if (e) { fprintf(stderr, "openloop-threads: pthread_create: %s\n", strerror(e)); return 2; }
    }
    pthread_mutex_lock(&lock);
    while (ready < k) pthread_cond_wait(&ready_cv, &lock);
    pthread_mutex_unlock(&lock);

    long fail = 0;
    for (long i = 0; i < warm; i++) {
        int fd = openat(AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
        if (fd >= 0) close(fd);
        else fail++;
    }
    long long spent = 0;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (long i = 0; i < n; i++) {
        if (gap > 0) {
            nanosleep(&nap, NULL);
            clock_gettime(CLOCK_MONOTONIC, &t0);
        }
        int fd = openat(AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
        if (fd >= 0) close(fd);
        else fail++;
        if (gap > 0) {
            clock_gettime(CLOCK_MONOTONIC, &t1);
            spent += elapsed(&t0, &t1);
        }
    }
    if (gap == 0) {
        clock_gettime(CLOCK_MONOTONIC, &t1);
        spent = elapsed(&t0, &t1);
    }

    pthread_mutex_lock(&lock);
    done = 1;
    pthread_cond_broadcast(&done_cv);
    pthread_mutex_unlock(&lock);
    for (long i = 0; i < k; i++) pthread_join(tids[i], NULL);
    free(tids);
    fprintf(stderr, "openloop-threads: calls %lld ns\n", spent);
    if (fail) { fprintf(stderr, "openloop-threads: %ld/%ld opens of %s failed\n", fail, n + warm, path); return 1; }
    return 0;
}
