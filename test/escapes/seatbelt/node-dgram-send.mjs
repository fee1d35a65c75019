// dgram send (unconnected: the destination is in the call) to the counting UDP server.
import dgram from 'node:dgram';
import { deadline, env, escaped, failed, step } from './_attempt.mjs';

const port = Number(env('UDP'));
deadline(10_000, 'dgram.send');
const s = dgram.createSocket('udp4');
s.on('error', (e) => failed(e, 'dgram.send'));
s.on('message', (m) => {
  escaped(`dgram.send reached 127.0.0.1:${port}, which answered ${m.length} bytes`);
  s.close();
});
step('dgram.send', () => s.send(Buffer.from('syscage-corpus datagram'), port, '127.0.0.1', (e) => { if (e) failed(e, 'dgram.send'); }));
