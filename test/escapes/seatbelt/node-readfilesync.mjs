// fs.readFileSync of the denied file.
import fs from 'node:fs';
import { env, escaped, step } from './_attempt.mjs';

const text = step('fs.readFileSync', () => fs.readFileSync(env('SECRET'), 'utf8'));
escaped(`fs.readFileSync read ${text}`);
