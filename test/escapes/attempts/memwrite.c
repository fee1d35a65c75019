/*
 * Writing another process's memory — or one's own read-only memory.
 *
 *   memwrite vm-writev ELF   process_vm_writev into getppid() (the supervisor): 8 bytes read with
 *                            process_vm_readv are written back unchanged at a writable address, found in
 *                            /proc/PPID/maps or, when that is refused, in the PT_LOAD segments of ELF
 *                            (the supervisor's executable: /usr/bin/node is not position-independent)
 *   memwrite proc-mem-sup    open /proc/PPID/mem read-write, write 8 bytes back unchanged
 *   memwrite proc-mem-self   open /proc/self/mem read-write and change a read-only page of this program
 *                            (FOLL_FORCE: what would undo any "read-only copy" of checked arguments)
 */
#include "escape.h"
#include <elf.h>
#include <sys/uio.h>

/* A writable address of `pid` from its maps (a private rw mapping, not the stack), or 0. */
static unsigned long rw_from_maps(int pid) {
  char path[64], line[512];
  snprintf(path, sizeof path, "/proc/%d/maps", pid);
  FILE *f = fopen(path, "r");
  if (!f) {
    note("cannot read %s (%s)", path, errname(errno));
    return 0;
  }
  unsigned long lo, hi, found = 0;
  char perms[8];
  while (fgets(line, sizeof line, f)) {
    if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) == 3 && strcmp(perms, "rw-p") == 0 && !strstr(line, "[stack]")) {
      found = lo + 64;
      break;
    }
  }
  fclose(f);
  return found;
}

/* The first writable PT_LOAD of an ELF executable (its fixed address, for a non-PIE one), or 0. */
static unsigned long rw_from_elf(const char *elf) {
  int fd = open(elf, O_RDONLY);
  if (fd < 0) return 0;
  Elf64_Ehdr eh;
  if (pread(fd, &eh, sizeof eh, 0) != sizeof eh || eh.e_type != ET_EXEC) {
    close(fd);
    return 0;
  }
  for (int i = 0; i < eh.e_phnum; i++) {
    Elf64_Phdr ph;
    if (pread(fd, &ph, sizeof ph, (off_t)(eh.e_phoff + (Elf64_Off)i * eh.e_phentsize)) != sizeof ph) break;
    if (ph.p_type == PT_LOAD && (ph.p_flags & PF_W)) {
      close(fd);
      return ph.p_vaddr + 64;
    }
  }
  close(fd);
  return 0;
}

int main(int argc, char **argv) {
  ARGS(2, "vm-writev ELF | proc-mem-sup | proc-mem-self");
  int ppid = (int)getppid();
  unsigned char bytes[8];
  if (MODE("vm-writev")) {
    ARGS(3, "vm-writev ELF");
    unsigned long at = rw_from_maps(ppid);
    if (!at) at = rw_from_elf(argv[2]);
    if (!at) error("no writable address of %d found", ppid);
    struct iovec local = { bytes, sizeof bytes }, remote = { (void *)at, sizeof bytes };
    if (process_vm_readv(ppid, &local, 1, &remote, 1, 0) != (ssize_t)sizeof bytes) {
      /* Without the current bytes nothing may be written: ask the kernel about page zero instead. */
      int e = errno;
      note("process_vm_readv(%d, 0x%lx) failed: %s", ppid, at, errname(e));
      struct iovec zero = { (void *)1, 1 };
      local.iov_len = 1;
      if (process_vm_writev(ppid, &local, 1, &zero, 1, 0) < 0 && errno != EFAULT) blocked(errno, "process_vm_writev(%d (getppid))", ppid);
      escaped("process_vm_writev(%d (getppid)) reached its address space (EFAULT at 0x1, not refused)", ppid);
    }
    if (process_vm_writev(ppid, &local, 1, &remote, 1, 0) < 0) blocked(errno, "process_vm_writev(%d (getppid), 0x%lx)", ppid, at);
    escaped("process_vm_writev wrote 8 bytes into %d (getppid) at 0x%lx", ppid, at);
  }
  if (MODE("proc-mem-sup")) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/mem", ppid);
    int fd = open(path, O_RDWR);
    if (fd < 0) blocked(errno, "open(%s, O_RDWR)", path);
    unsigned long at = rw_from_maps(ppid);
    if (!at) escaped("opened %s read-write (no address to write found)", path);
    if (pread(fd, bytes, sizeof bytes, (off_t)at) != sizeof bytes) blocked(errno, "pread %s", path);
    if (pwrite(fd, bytes, sizeof bytes, (off_t)at) != sizeof bytes) blocked(errno, "pwrite %s", path);
    escaped("wrote 8 bytes into %d (getppid) at 0x%lx through %s", ppid, at, path);
  }
  if (MODE("proc-mem-self")) {
    static const char ro[] = "read-only data of memwrite";
    int fd = open("/proc/self/mem", O_RDWR);
    if (fd < 0) blocked(errno, "open(/proc/self/mem, O_RDWR)");
    if (pwrite(fd, "WRITTEN", 7, (off_t)(uintptr_t)ro) != 7) blocked(errno, "pwrite into a read-only page");
    escaped("changed its own read-only page through /proc/self/mem: now \"%s\"", *(const char *volatile *)&(const char *){ro});
  }
  fprintf(stderr, "memwrite: unknown mode %s\n", argv[1]);
  return 2;
}
