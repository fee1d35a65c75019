// The typed names of the shipped profiles (lib/profiles.ts) are the profiles syscage ships
// (profiles/*.yaml beside this package), the ones SyscageFunction's `profile` takes are those
// that are whole profiles for a function, and the path a function is given for one is where the
// layer puts it (dist/syscage-layer-<arch>.zip: profiles/ → syscage/profiles/, unpacked at /opt).
import t from 'tap';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { FUNCTION_PROFILES, SHIPPED_PROFILES, shippedProfilePath } from '../lib/index.js';
import { syscageRoot } from './helpers/paths.js';

const folder = join(syscageRoot, 'profiles');
const onDisk = readdirSync(folder).filter((f) => f.endsWith('.yaml')).map((f) => f.slice(0, -'.yaml'.length)).sort();

t.test('SHIPPED_PROFILES is the list of profiles/*.yaml', async (t) => {
  t.ok(onDisk.length >= 7, `profiles/ has the shipped profiles (${onDisk.join(', ')})`);
  t.same([...SHIPPED_PROFILES].sort(), onDisk, 'the same names: add or remove one in cdk/lib/profiles.ts when profiles/ changes');
  for (const name of SHIPPED_PROFILES) {
    t.match(readFileSync(join(folder, `${name}.yaml`), 'utf8'), new RegExp(`^name: ${name}$`, 'm'), `profiles/${name}.yaml says name: ${name}`);
  }
});

// A profile as it applies, its extends chain followed (docs/profile.md, "extends": a section
// present anywhere in the chain is present in the result; a scalar of the profile overrides its
// bases'). Shipped profiles extend only shipped ones.
type Profile = { default?: string; extends?: string | string[]; syscalls?: unknown; files?: unknown; exec?: unknown; network?: unknown; process?: unknown };
const load = (name: string): Profile => parse(readFileSync(join(folder, `${name}.yaml`), 'utf8')) as Profile;
function resolved(name: string): { default?: string; sections: Set<string> } {
  const p = load(name);
  const bases = p.extends === undefined ? [] : [p.extends].flat();
  const out = { default: undefined as string | undefined, sections: new Set<string>() };
  for (const b of bases) {
    const r = resolved(b);
    out.default = r.default ?? out.default;
    for (const s of r.sections) out.sections.add(s);
  }
  if (p.default !== undefined) out.default = p.default;
  for (const s of ['syscalls', 'files', 'exec', 'network', 'process'] as const) if (p[s] !== undefined) out.sections.add(s);
  return out;
}
// A section a profile lacks leaves that kind of access unchecked (docs/profile.md): a whole profile
// for a function refuses what it does not name and checks files, programs, destinations, processes.
const WHOLE = ['syscalls', 'files', 'exec', 'network', 'process'];
const isWhole = (name: string) => {
  const r = resolved(name);
  return r.default === 'deny' && WHOLE.every((s) => r.sections.has(s));
};

t.test('FUNCTION_PROFILES (the typed `profile` option) are the whole profiles of profiles/*.yaml', async (t) => {
  const whole = onDisk.filter(isWhole);
  t.same([...FUNCTION_PROFILES].sort(), whole, `the profiles that are default: deny with ${WHOLE.join(', ')} sections, their extends followed`);
  t.same([...FUNCTION_PROFILES].sort(), ['lambda-nodejs', 'python', 'static-binary'], 'lambda-nodejs, python, static-binary');
  for (const name of onDisk.filter((n) => !isWhole(n))) {
    const r = resolved(name);
    // The header comment as one line of prose.
    const header = readFileSync(join(folder, `${name}.yaml`), 'utf8').split('\nversion:')[0]!.replace(/\n#\s*/g, ' ');
    const missing = WHOLE.filter((s) => !r.sections.has(s));
    t.comment(`${name} is not whole: ${r.default === 'deny' ? '' : 'not default: deny; '}no ${missing.join(', ')} section`);
    t.match(header, /a preset for `extends`|extend it and add those sections/, `profiles/${name}.yaml's header says it is meant for extends`);
  }
});

// Where the layer puts the profiles: the built layer zip's own listing when `make layer` has built
// it (its central directory, read here: no unzip(1) needed).
/** The names of a zip's entries, from its central directory (no zip64: the layer is far below 4 GiB). */
function zipNames(file: string): string[] {
  const b = readFileSync(file);
  let end = b.length - 22;
  while (end >= 0 && b.readUInt32LE(end) !== 0x06054b50) end--;
  if (end < 0) throw new Error(`${file}: no end of central directory`);
  const count = b.readUInt16LE(end + 10);
  let at = b.readUInt32LE(end + 16);
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    if (b.readUInt32LE(at) !== 0x02014b50) throw new Error(`${file}: bad central directory entry ${i}`);
    const n = b.readUInt16LE(at + 28), x = b.readUInt16LE(at + 30), c = b.readUInt16LE(at + 32);
    names.push(b.toString('utf8', at + 46, at + 46 + n));
    at += 46 + n + x + c;
  }
  return names;
}

const zips = (['x86_64', 'arm64'] as const).map((arch) => ({ arch, file: join(syscageRoot, 'dist', `syscage-layer-${arch}.zip`) }));
const built = zips.filter((z) => existsSync(z.file));

t.test('a shipped profile is at /opt/syscage/profiles/NAME.yaml in the layer', async (t) => {
  t.equal(shippedProfilePath('python'), '/opt/syscage/profiles/python.yaml');
  for (const { arch, file } of built) {
    const names = zipNames(file);
    t.ok(names.includes('bootstrap'), `dist/syscage-layer-${arch}.zip: a layer (bootstrap at its root)`);
    for (const name of SHIPPED_PROFILES) {
      const inZip = shippedProfilePath(name).replace(/^\/opt\//, '');
      t.ok(names.includes(inZip), `dist/syscage-layer-${arch}.zip has ${inZip}`);
    }
  }
  if (built.length === 0) {
    // No layer zip to list (make layer needs the npm registry and minutes, and scripts/build-layer.mjs
    // has no listing without building), so the next best: the builder's own line that copies profiles/.
    t.comment('no dist/syscage-layer-<arch>.zip (make layer has not built one): checking scripts/build-layer.mjs\'s source instead of a zip listing');
    const builder = readFileSync(join(syscageRoot, 'scripts', 'build-layer.mjs'), 'utf8');
    t.match(builder, /for \(const f of walk\(join\(root, 'profiles'\)\)\) addFrom\(`syscage\/profiles\/\$\{f\}`, join\(root, 'profiles', f\)\);/,
      'scripts/build-layer.mjs puts profiles/F at syscage/profiles/F');
  }
});
