// Host names and host patterns of network.connect ("api.stripe.com:443",
// "*.amazonaws.com:443", "*.s3.*.amazonaws.com:443").
//
//   *. (leading)   one or more whole labels: any subdomain, at any depth
//   *  (a label)   exactly one label
//   *  (in a label) any characters within that label ("s3-*")
//
// A leading "*." spans labels because that is what a user means by
// "*.amazonaws.com" (dynamodb.eu-west-1.amazonaws.com); a "*" anywhere else
// stays inside its label, as "*" stays inside a path segment. A pattern never
// matches its own suffix: "*.amazonaws.com" does not match "amazonaws.com".
//
// Names are compared lower-cased and without a final dot, in ASCII: a name
// with other characters must be written as its IDNA A-label (xn--…). A name
// as it arrives in a DNS question can hold any byte; lib/dns renders the bytes
// outside [a-z0-9_-] as \DDD escapes, which no pattern matches.
import type { AddressError } from './address.js';

/** A host pattern, checked: its text as written (normalised) and the regular expression source for it. */
export interface HostPattern {
  readonly pattern: string;
  /** Anchored source, for a name already normalised (normaliseHost). */
  readonly source: string;
  /**
   * Fewer than two labels written out after the wildcards ("*.com", "*.*"): a pattern that
   * allows most of the internet. The loader warns.
   */
  readonly broad: boolean;
}

const LABEL = /^[a-z0-9_*-]{1,63}$/;
const MAX_NAME = 253;

/** How a name is compared: lower-case, without a final dot. */
export function normaliseHost(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

/** Does this host text look like a name (rather than an address or a typo)? */
export function looksLikeName(host: string): boolean {
  return /^[A-Za-z0-9_*.-]+\.?$/.test(host) && /[A-Za-z*]/.test(host) && host !== '*';
}

export function parseHostPattern(text: string): HostPattern | AddressError {
  const name = normaliseHost(text);
  if (name.length === 0) return { message: 'the host name is empty' };
  if (name.length > MAX_NAME) return { message: `the host name is ${name.length} characters long; a DNS name has at most ${MAX_NAME}` };
  const labels = name.split('.');
  let offset = 0;
  for (const label of labels) {
    if (label === '') return { message: 'has an empty label ("..", or a leading dot)', offset, length: 1 };
    if (!LABEL.test(label)) {
      const bad = /[^a-z0-9_*-]/.exec(label);
      return bad
        ? { message: `"${bad[0]}" cannot be in a host name (write a non-ASCII name as its xn-- A-label)`, offset: offset + bad.index, length: 1 }
        : { message: 'a label has at most 63 characters', offset, length: label.length };
    }
    if (label.includes('**')) return { message: '"**" is not a host pattern: a leading "*." already spans any number of labels', offset: offset + label.indexOf('**'), length: 2 };
    offset += label.length + 1;
  }
  if (labels.at(-1)!.includes('*')) return { message: 'the last label (the top-level domain) must be written out', offset: name.lastIndexOf('.') + 1, length: labels.at(-1)!.length };
  // The labels written out after the last wildcard: "*.s3.*.amazonaws.com" has two.
  let fixed = 0;
  while (fixed < labels.length && !labels[labels.length - 1 - fixed]!.includes('*')) fixed++;
  return { pattern: name, source: `^${hostSource(labels)}$`, broad: fixed < labels.length && fixed < 2 };
}

function hostSource(labels: readonly string[]): string {
  const parts = labels.map((l, i) => {
    if (i === 0 && l === '*') return null;
    if (l === '*') return '[a-z0-9_-]+';
    return l.split('').map((c) => (c === '*' ? '[a-z0-9_-]*' : c === '-' || c === '_' ? c : c.replace(/[^a-z0-9]/g, '\\$&'))).join('');
  });
  const head = parts[0] === null ? '(?:[a-z0-9_-]+\\.)+' : '';
  return head + parts.filter((p): p is string => p !== null).join('\\.');
}
