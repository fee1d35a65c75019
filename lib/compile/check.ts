// `syscage check`: load a profile and compile it for each target arch,
// collecting every diagnostic instead of stopping at the first.
import { ARCHES, type Arch } from '../arch/index.js';
import { locText, ProfileError, type Diagnostic } from '../profile/diagnostic.js';
import { loadProfile, type LoadOptions } from '../profile/load.js';
import { compileProfile } from './index.js';

export interface CheckResult {
  readonly ok: boolean;
  readonly diagnostics: readonly Diagnostic[];
}

/**
 * Valid means: loads, and compiles for every arch in `arches`. When no arch is
 * asked for, both are tried, and a syscall that exists on one arch only is a
 * warning (the profile is fine where it will run); naming an arch makes it an error.
 */
export function checkProfile(path: string, arches?: readonly Arch[], opts: LoadOptions = {}): CheckResult {
  let loaded;
  try {
    loaded = loadProfile(path, opts);
  } catch (e) {
    if (e instanceof ProfileError) return { ok: false, diagnostics: e.diagnostics };
    throw e;
  }
  const out: Diagnostic[] = [...loaded.warnings];
  let ok = true;
  for (const arch of arches ?? ARCHES) {
    try {
      out.push(...compileProfile(loaded.profile, arch).warnings);
    } catch (e) {
      if (!(e instanceof ProfileError)) throw e;
      for (const d of e.diagnostics) {
        const soft = !arches && d.code === 'E_SYSCALL_ARCH';
        if (!soft) ok = false;
        out.push(soft ? { ...d, severity: 'warning' } : d);
      }
    }
  }
  return { ok, diagnostics: dedupe(out) };
}

function dedupe(ds: readonly Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return ds.filter((d) => {
    const k = `${d.code}|${d.loc ? locText(d.loc) : ''}|${d.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
