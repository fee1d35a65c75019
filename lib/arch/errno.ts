// Linux errno values, for a profile's `deny: EPERM` and for naming a syscall's -errno result.
//
// x86_64 and arm64 both use asm-generic/errno-base.h (1–34) and asm-generic/errno.h (35–133)
// unchanged (their asm/errno.h only includes the generic one); alpha, mips, parisc and sparc
// renumber. test/arch/errno.test.ts checks this table against the installed headers.
// Kernel-internal codes (ERESTARTSYS = 512 and up) never reach user space and are left out.

/** Canonical names, in numeric order. 41 and 58 are unassigned (once EWOULDBLOCK and EDEADLOCK). */
const CANONICAL = [
  ['EPERM', 1], ['ENOENT', 2], ['ESRCH', 3], ['EINTR', 4], ['EIO', 5], ['ENXIO', 6], ['E2BIG', 7],
  ['ENOEXEC', 8], ['EBADF', 9], ['ECHILD', 10], ['EAGAIN', 11], ['ENOMEM', 12], ['EACCES', 13],
  ['EFAULT', 14], ['ENOTBLK', 15], ['EBUSY', 16], ['EEXIST', 17], ['EXDEV', 18], ['ENODEV', 19],
  ['ENOTDIR', 20], ['EISDIR', 21], ['EINVAL', 22], ['ENFILE', 23], ['EMFILE', 24], ['ENOTTY', 25],
  ['ETXTBSY', 26], ['EFBIG', 27], ['ENOSPC', 28], ['ESPIPE', 29], ['EROFS', 30], ['EMLINK', 31],
  ['EPIPE', 32], ['EDOM', 33], ['ERANGE', 34],
  ['EDEADLK', 35], ['ENAMETOOLONG', 36], ['ENOLCK', 37], ['ENOSYS', 38], ['ENOTEMPTY', 39],
  ['ELOOP', 40], ['ENOMSG', 42], ['EIDRM', 43], ['ECHRNG', 44], ['EL2NSYNC', 45], ['EL3HLT', 46],
  ['EL3RST', 47], ['ELNRNG', 48], ['EUNATCH', 49], ['ENOCSI', 50], ['EL2HLT', 51], ['EBADE', 52],
  ['EBADR', 53], ['EXFULL', 54], ['ENOANO', 55], ['EBADRQC', 56], ['EBADSLT', 57], ['EBFONT', 59],
  ['ENOSTR', 60], ['ENODATA', 61], ['ETIME', 62], ['ENOSR', 63], ['ENONET', 64], ['ENOPKG', 65],
  ['EREMOTE', 66], ['ENOLINK', 67], ['EADV', 68], ['ESRMNT', 69], ['ECOMM', 70], ['EPROTO', 71],
  ['EMULTIHOP', 72], ['EDOTDOT', 73], ['EBADMSG', 74], ['EOVERFLOW', 75], ['ENOTUNIQ', 76],
  ['EBADFD', 77], ['EREMCHG', 78], ['ELIBACC', 79], ['ELIBBAD', 80], ['ELIBSCN', 81],
  ['ELIBMAX', 82], ['ELIBEXEC', 83], ['EILSEQ', 84], ['ERESTART', 85], ['ESTRPIPE', 86],
  ['EUSERS', 87], ['ENOTSOCK', 88], ['EDESTADDRREQ', 89], ['EMSGSIZE', 90], ['EPROTOTYPE', 91],
  ['ENOPROTOOPT', 92], ['EPROTONOSUPPORT', 93], ['ESOCKTNOSUPPORT', 94], ['EOPNOTSUPP', 95],
  ['EPFNOSUPPORT', 96], ['EAFNOSUPPORT', 97], ['EADDRINUSE', 98], ['EADDRNOTAVAIL', 99],
  ['ENETDOWN', 100], ['ENETUNREACH', 101], ['ENETRESET', 102], ['ECONNABORTED', 103],
  ['ECONNRESET', 104], ['ENOBUFS', 105], ['EISCONN', 106], ['ENOTCONN', 107], ['ESHUTDOWN', 108],
  ['ETOOMANYREFS', 109], ['ETIMEDOUT', 110], ['ECONNREFUSED', 111], ['EHOSTDOWN', 112],
  ['EHOSTUNREACH', 113], ['EALREADY', 114], ['EINPROGRESS', 115], ['ESTALE', 116], ['EUCLEAN', 117],
  ['ENOTNAM', 118], ['ENAVAIL', 119], ['EISNAM', 120], ['EREMOTEIO', 121], ['EDQUOT', 122],
  ['ENOMEDIUM', 123], ['EMEDIUMTYPE', 124], ['ECANCELED', 125], ['ENOKEY', 126],
  ['EKEYEXPIRED', 127], ['EKEYREVOKED', 128], ['EKEYREJECTED', 129], ['EOWNERDEAD', 130],
  ['ENOTRECOVERABLE', 131], ['ERFKILL', 132], ['EHWPOISON', 133],
] as const satisfies readonly (readonly [string, number])[];

/** The numbers by canonical name, for code: `const { EPERM, ENOENT } = E;`. */
export const E = Object.freeze(Object.fromEntries(CANONICAL)) as { readonly [K in (typeof CANONICAL)[number] as K[0]]: K[1] };

/** Second names for the same number. ENOTSUP is glibc's (POSIX) name; the kernel has only EOPNOTSUPP. */
const ALIASES: readonly (readonly [string, string])[] = [
  ['EWOULDBLOCK', 'EAGAIN'],
  ['EDEADLOCK', 'EDEADLK'],
  ['ENOTSUP', 'EOPNOTSUPP'],
];

const byName = new Map<string, number>(CANONICAL);
for (const [alias, target] of ALIASES) byName.set(alias, byName.get(target)!);
const byNumber = new Map<number, string>(CANONICAL.map(([name, n]) => [n, name]));

/** Every accepted name: the canonical ones in numeric order, then the aliases. */
export const ERRNO_NAMES: readonly string[] = Object.freeze([...CANONICAL.map(([name]) => name), ...ALIASES.map(([alias]) => alias)]);

/** `errnoNumber('EPERM') === 1`; aliases are accepted. */
export function errnoNumber(name: string): number | undefined {
  return byName.get(name);
}

/** The canonical name: `errnoName(11) === 'EAGAIN'`, never EWOULDBLOCK. */
export function errnoName(n: number): string | undefined {
  return byNumber.get(n);
}
