/*
 * io_uring: file operations without a syscall per operation. One
 * IORING_OP_OPENAT submitted through the ring opens PATH inside the kernel's
 * io_uring worker; the process then only read()s the fd it got back.
 *
 *   iouring openat PATH
 */
#include "escape.h"
#include <linux/io_uring.h>
#include <sys/mman.h>

int main(int argc, char **argv) {
  ARGS(3, "openat PATH");
  struct io_uring_params p;
  memset(&p, 0, sizeof p);
  int ring = (int)syscall(SYS_io_uring_setup, 4, &p);
  if (ring < 0) blocked(errno, "io_uring_setup");
  size_t sq_len = p.sq_off.array + p.sq_entries * sizeof(unsigned);
  size_t cq_len = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
  if (p.features & IORING_FEAT_SINGLE_MMAP) sq_len = cq_len = sq_len > cq_len ? sq_len : cq_len;
  char *sq = mmap(NULL, sq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring, IORING_OFF_SQ_RING);
  if (sq == MAP_FAILED) error("mmap SQ ring");
  char *cq = (p.features & IORING_FEAT_SINGLE_MMAP) ? sq : mmap(NULL, cq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring, IORING_OFF_CQ_RING);
  if (cq == MAP_FAILED) error("mmap CQ ring");
  struct io_uring_sqe *sqes = mmap(NULL, p.sq_entries * sizeof *sqes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring, IORING_OFF_SQES);
  if (sqes == MAP_FAILED) error("mmap SQEs");

  unsigned *tail = (unsigned *)(sq + p.sq_off.tail), *mask = (unsigned *)(sq + p.sq_off.ring_mask), *array = (unsigned *)(sq + p.sq_off.array);
  unsigned idx = *tail & *mask;
  struct io_uring_sqe *e = &sqes[idx];
  memset(e, 0, sizeof *e);
  e->opcode = IORING_OP_OPENAT;
  e->fd = AT_FDCWD;
  e->addr = (uint64_t)(uintptr_t)argv[2];
  e->open_flags = O_RDONLY;
  e->user_data = 42;
  array[idx] = idx;
  __atomic_store_n(tail, *tail + 1, __ATOMIC_RELEASE);
  if (syscall(SYS_io_uring_enter, ring, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0) < 0) blocked(errno, "io_uring_enter");
  unsigned *chead = (unsigned *)(cq + p.cq_off.head), *cmask = (unsigned *)(cq + p.cq_off.ring_mask);
  struct io_uring_cqe *cqe = &((struct io_uring_cqe *)(cq + p.cq_off.cqes))[*chead & *cmask];
  int fd = cqe->res;
  __atomic_store_n(chead, *chead + 1, __ATOMIC_RELEASE);
  if (fd < 0) blocked(-fd, "IORING_OP_OPENAT");
  opened(fd, "IORING_OP_OPENAT through io_uring");
}
