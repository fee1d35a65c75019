// The kernel's ephemeral port range: a local port in it is the kernel's pick, not the program's.
import { readFileSync } from 'node:fs';

/** The default of net.ipv4.ip_local_port_range. */
export const PORT_RANGE: readonly [number, number] = Object.freeze([32768, 60999] as [number, number]);

/**
 * The kernel's ephemeral port range, from the text of
 * /proc/sys/net/ipv4/ip_local_port_range ("32768\t60999"), read from the
 * file when no text is given; undefined when unreadable or malformed.
 */
export function localPortRange(text?: string): [number, number] | undefined {
  let t = text;
  if (t === undefined) {
    try {
      t = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8');
    } catch {
      return undefined;
    }
  }
  const m = /^\s*(\d+)\s+(\d+)\s*$/.exec(t);
  if (!m) return undefined;
  const lo = Number(m[1]);
  const hi = Number(m[2]);
  return lo >= 1 && lo <= hi && hi <= 65535 ? [lo, hi] : undefined;
}
