// fs.createReadStream of the denied file.
import fs from 'node:fs';
import { env, escaped, stepAsync } from './_attempt.mjs';

const text = await stepAsync('fs.createReadStream', () => new Promise((resolve, reject) => {
  let data = '';
  const s = fs.createReadStream(env('SECRET'), { encoding: 'utf8' });
  s.on('data', (d) => { data += d; }).on('error', reject).on('end', () => resolve(data));
}));
escaped(`fs.createReadStream read ${text}`);
