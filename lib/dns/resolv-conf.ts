// /etc/resolv.conf, read for its name servers and written again for the
// sandbox with syscage's resolver in their place (resolv.conf(5)).
//
// Only "nameserver" lines change. search, domain and options stay: a search
// list still expands short names (each expansion is a name the rules judge),
// and options such as timeout, attempts, use-vc or single-request still shape
// how the resolver in the sandbox talks to ours. resolv.conf has no port
// syntax, so the resolver syscage puts in the path answers on port 53.
import { readFileSync } from 'node:fs';

export const RESOLV_CONF = '/etc/resolv.conf';

export interface ResolvConf {
  /** The name servers, as written (IPv4 or IPv6 text, without a scope id). */
  readonly nameservers: readonly string[];
  /** Every line that is not a nameserver line, as written. */
  readonly rest: readonly string[];
}

export function parseResolvConf(text: string): ResolvConf {
  const nameservers: string[] = [];
  const rest: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*nameserver\s+(\S+)/.exec(line);
    if (m) nameservers.push(m[1]!.replace(/%.*$/, ''));
    else if (line.trim() !== '') rest.push(line);
  }
  return { nameservers, rest };
}

/** The system's resolv.conf; glibc's default server (the local host) when there is none. */
export function readResolvConf(path = RESOLV_CONF): ResolvConf {
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch { /* absent: glibc then asks 127.0.0.1 */ }
  const conf = parseResolvConf(text);
  return conf.nameservers.length ? conf : { ...conf, nameservers: ['127.0.0.1'] };
}

/** The sandbox's resolv.conf: the same, with `server` as its one name server. */
export function sandboxResolvConf(conf: ResolvConf, server: string): string {
  return [`# written by syscage: lookups go through its resolver, which answers only the names the profile allows`, `nameserver ${server}`, ...conf.rest, ''].join('\n');
}
