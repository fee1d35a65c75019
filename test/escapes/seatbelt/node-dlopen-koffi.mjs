// process.dlopen of an addon seatbelts.native does not name (a copy of koffi.node, in a readable
// directory), then libc's open and read through it.
import { env, escaped, note, step } from './_attempt.mjs';

const m = { exports: {} };
step('process.dlopen', () => process.dlopen(m, env('KOFFI')));
note('koffi.node loaded');
const libc = step('koffi.load(libc.so.6)', () => m.exports.load('libc.so.6'));
const open = libc.func('int open(const char *path, int flags)');
const read = libc.func('long read(int fd, _Out_ uint8_t *buf, size_t n)');
const fd = open(env('SECRET'), 0);
const buf = Buffer.alloc(256);
const n = Number(read(fd, buf, buf.length));
escaped(`libc open/read through the addon read ${fd >= 0 && n > 0 ? buf.subarray(0, n).toString('utf8') : `nothing (fd ${fd})`}`);
