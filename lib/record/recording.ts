// The profile a command is recorded under (syscage record): everything allowed, everything seen.

/**
 * What the command runs under while it is recorded: everything allowed, and
 * everything trapped (default log, and every section present with rules that
 * match all), so that the supervisor sees and decodes every call.
 */
export const RECORDING_PROFILE = `version: 1
name: recording
default: log
syscalls:
  log: [seccomp, io_uring_setup, io_uring_enter, io_uring_register]
files:
  read: ["/**"]
  write: ["/**"]
exec:
  allow: ["/**"]
network:
  connect: ["*:*", "unix:/**", "unix:@*"]
  bind: ["*:*", "unix:/**", "unix:@*"]
process:
  fork: true
  signal: any
`;
