// What the supervisor sends stage-2 over its pipe (fd 3): the program to run
// and the filter to run it under.
//
//   u32 LE  length of the JSON header
//   JSON    { path, argv, env, resolvConf? }
//   rest    the filter: struct sock_filter[] (8 bytes each)
export interface LaunchRequest {
  /** Absolute path of the program (PATH already searched). */
  readonly path: string;
  readonly argv: readonly string[];
  /** "NAME=value" entries: the command's environment (stage-2's own is minimal). */
  readonly env: readonly string[];
  /**
   * A resolv.conf to bind over /etc/resolv.conf in a private mount namespace before the exec: the
   * one that names syscage's resolver (lib/dns), when the profile names hosts.
   */
  readonly resolvConf?: string;
  /**
   * Install the filter with a listener (SECCOMP_FILTER_FLAG_NEW_LISTENER): the notification
   * backend. The supervisor takes the listener from stage-2 at its exec (lib/trace/notify).
   */
  readonly notify?: boolean;
}

/** The fd stage-2 reads its request from. */
export const REQUEST_FD = 3;

export function encodeRequest(req: LaunchRequest, filter: Buffer): Buffer {
  const json = Buffer.from(JSON.stringify(req));
  const len = Buffer.alloc(4);
  len.writeUInt32LE(json.length);
  return Buffer.concat([len, json, filter]);
}

export function decodeRequest(bytes: Buffer): { req: LaunchRequest; filter: Buffer } {
  if (bytes.length < 4) throw new Error('stage-2: empty launch request');
  const n = bytes.readUInt32LE(0);
  if (bytes.length < 4 + n) throw new Error('stage-2: truncated launch request');
  const req = JSON.parse(bytes.subarray(4, 4 + n).toString('utf8')) as LaunchRequest;
  return { req, filter: bytes.subarray(4 + n) };
}
