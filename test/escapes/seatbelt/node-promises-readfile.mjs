// fs.promises.readFile of the denied file.
import { readFile } from 'node:fs/promises';
import { env, escaped, stepAsync } from './_attempt.mjs';

const text = await stepAsync('fs.promises.readFile', () => readFile(env('SECRET'), 'utf8'));
escaped(`fs.promises.readFile read ${text}`);
