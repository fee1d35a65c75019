// fs.openSync of the denied file, then fs.readSync by descriptor.
import fs from 'node:fs';
import { env, escaped, step } from './_attempt.mjs';

const fd = step('fs.openSync', () => fs.openSync(env('SECRET'), 'r'));
const buf = Buffer.alloc(256);
const n = step('fs.readSync', () => fs.readSync(fd, buf, 0, buf.length, 0));
escaped(`fs.openSync + fs.readSync read ${buf.subarray(0, n).toString('utf8')}`);
