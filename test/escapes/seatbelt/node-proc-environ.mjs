// /proc/self/environ (files.deny names it): the environment, without process.env.
import fs from 'node:fs';
import { env, escaped, step } from './_attempt.mjs';

const mark = env('MARK');
const text = step('fs.readFileSync(/proc/self/environ)', () => fs.readFileSync('/proc/self/environ', 'latin1'));
const hit = text.split('\0').find((kv) => kv.includes(mark));
escaped(`/proc/self/environ read: ${hit ?? `(${text.length} bytes, no mark)`}`);
