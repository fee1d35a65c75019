// net.connect to the counting TCP server (network.connect allows nothing).
import net from 'node:net';
import { deadline, env, escaped, failed, step } from './_attempt.mjs';

const port = Number(env('TCP'));
deadline(10_000, 'net.connect');
const s = step('net.connect', () => net.connect(port, '127.0.0.1'));
let got = '';
s.setEncoding('utf8').on('data', (d) => { got += d; });
s.on('error', (e) => failed(e, 'net.connect'));
s.on('end', () => escaped(`net.connect reached 127.0.0.1:${port}: ${got}`));
