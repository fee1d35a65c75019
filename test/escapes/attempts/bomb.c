/*
 * Exhaustion: many processes or threads at once, each trying the forbidden
 * read, then the forbidden read again once the crowd is there ("afterwards").
 * Bounded (N in all) so that the machine survives it; what is tested is that
 * the supervisor neither hangs nor lets a call through under the load.
 *
 *   bomb fork N SECRET     a binary tree of processes, N in all (shared counter), each opens SECRET once
 *   bomb thread N SECRET   N threads, each opens SECRET once
 */
#include "escape.h"
#include <pthread.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>

struct shared {
  int count, made, failed_forks, refused, reached, release;
};
static struct shared *sh;
static const char *secret;
static int limit;

static void try_secret(void) {
  int fd = open(secret, O_RDONLY);
  if (fd >= 0) {
    __atomic_add_fetch(&sh->reached, 1, __ATOMIC_SEQ_CST);
    close(fd);
  } else {
    __atomic_add_fetch(&sh->refused, 1, __ATOMIC_SEQ_CST);
  }
}

static void grow(void) {
  pid_t kids[2];
  int n = 0;
  for (int i = 0; i < 2; i++) {
    if (__atomic_add_fetch(&sh->count, 1, __ATOMIC_SEQ_CST) > limit) break;
    pid_t c = fork();
    if (c == 0) {
      __atomic_add_fetch(&sh->made, 1, __ATOMIC_SEQ_CST);
      try_secret();
      n = 0;
      i = -1; /* the child grows its own two */
      continue;
    }
    if (c < 0) {
      __atomic_add_fetch(&sh->failed_forks, 1, __ATOMIC_SEQ_CST);
      break;
    }
    kids[n++] = c;
  }
  while (!__atomic_load_n(&sh->release, __ATOMIC_SEQ_CST)) usleep(10 * 1000);
  for (int i = 0; i < n; i++) waitpid(kids[i], NULL, 0);
}

static void *thread_body(void *arg) {
  (void)arg;
  try_secret();
  return NULL;
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  ARGS(4, "fork|thread N SECRET");
  limit = atoi(argv[2]);
  secret = argv[3];
  sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (sh == MAP_FAILED) error("mmap");
  double t0 = now();
  fflush(stdout);
  if (MODE("fork")) {
    pid_t root = getpid();
    pid_t grower = fork();
    if (grower < 0) error("fork");
    if (grower == 0) {
      grow();
      _exit(0);
    }
    /* Wait for the crowd (or 20 s), then try once more ourselves: "afterwards". */
    while (__atomic_load_n(&sh->made, __ATOMIC_SEQ_CST) < limit - sh->failed_forks && now() - t0 < 20) usleep(20 * 1000);
    double grown = now() - t0;
    try_secret();
    __atomic_store_n(&sh->release, 1, __ATOMIC_SEQ_CST);
    waitpid(grower, NULL, 0);
    (void)root;
    note("%d processes made in %.2f s (%d forks failed), %d forbidden opens refused, %d reached", sh->made, grown, sh->failed_forks, sh->refused, sh->reached);
  } else {
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setstacksize(&at, 64 * 1024);
    pthread_t *t = calloc((size_t)limit, sizeof *t);
    int made = 0, failed = 0;
    for (int i = 0; i < limit; i++) {
      if (pthread_create(&t[i], &at, thread_body, NULL) == 0) made++;
      else failed++, t[i] = 0;
    }
    for (int i = 0; i < limit; i++) if (t[i]) pthread_join(t[i], NULL);
    double grown = now() - t0;
    try_secret();
    note("%d threads made in %.2f s (%d failed), %d forbidden opens refused, %d reached", made, grown, failed, sh->refused, sh->reached);
  }
  if (sh->reached) escaped("%d of %d forbidden opens reached %s", sh->reached, sh->reached + sh->refused, secret);
  if (sh->refused == 0) error("no forbidden open was made");
  blocked(EPERM, "all %d forbidden opens refused", sh->refused);
}
