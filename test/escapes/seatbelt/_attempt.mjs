// The corpus protocol (test/escapes/README.md) for the Node.js seatbelt attempts: NOTE lines, then
// one verdict line, ESCAPED <what> / BLOCKED <code> <step> / ERROR <why> (exit 3). The world comes
// in SB_* environment variables (corpus-seatbelts.test.ts). Everything is taken at load, before an
// attempt poisons anything, and written with writeSync: the verdict must not depend on the attack.
import { writeSync } from 'node:fs';

/** What a refusal looks like: the seatbelt's, the permission model's, the kernel's. */
const REFUSALS = new Set(['ERR_SYSCAGE_REFUSED', 'ERR_ACCESS_DENIED', 'ERR_DLOPEN_DISABLED', 'EACCES', 'EPERM']);
const write = writeSync;
const exit = process.exit.bind(process);
const setHas = Set.prototype.has;
const oneLine = (s) => String(s).replace(/\s+/g, ' ').trim().slice(0, 300);

const say = (line) => write(1, `${line}\n`);
export const note = (what) => say(`NOTE ${oneLine(what)}`);
export const escaped = (what) => say(`ESCAPED ${oneLine(what)}`);

export function error(what) {
  say(`ERROR ${oneLine(what)}`);
  exit(3);
}

/** The variable SB_<name>, or ERROR: the setup is missing. */
export function env(name) {
  const v = process.env[`SB_${name}`];
  if (!v) error(`SB_${name} is not set`);
  return v;
}

/** A step failed: BLOCKED when it was refused, ERROR otherwise; the attempt ends. */
export function failed(e, step) {
  const code = e?.code ?? e?.cause?.code ?? (typeof e?.errno === 'string' ? e.errno : undefined);
  const msg = oneLine(e?.message ?? e);
  if (code !== undefined && Reflect.apply(setHas, REFUSALS, [code])) say(`BLOCKED ${code} ${step}: ${msg}`);
  else if (e?.cause?.code !== undefined && Reflect.apply(setHas, REFUSALS, [e.cause.code])) say(`BLOCKED ${e.cause.code} ${step}: ${msg}`);
  else {
    say(`ERROR ${step}: ${code ?? 'no code'}: ${msg}`);
    exit(3);
  }
  exit(0);
}

/** One step of the attack: its value, or the verdict and the end. */
export function step(name, fn) {
  try {
    return fn();
  } catch (e) {
    return failed(e, name);
  }
}

export async function stepAsync(name, fn) {
  try {
    return await fn();
  } catch (e) {
    return failed(e, name);
  }
}

/** The shell command the program attempts run: it prints the verdict itself (the secret it read). */
export const shellLine = (api) => `printf 'ESCAPED /bin/sh ran (${api}): %s\\n' "$(cat "$SB_SECRET")"`;

/** Ends the attempt after `ms` when nothing else did (a request that never answers). */
export function deadline(ms, what) {
  setTimeout(() => error(`no answer after ${ms} ms: ${what}`), ms).unref();
}
