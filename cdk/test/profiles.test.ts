// The typed names of the shipped profiles (lib/profiles.ts) are the profiles syscage ships
// (profiles/*.yaml beside this package), and the path a function is given for one is where the
// layer puts it (scripts/build-layer.mjs: profiles/ → syscage/profiles/ in the zip, unpacked at /opt).
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SHIPPED_PROFILES, shippedProfilePath } from '../lib/index.js';
import { syscageRoot } from './helpers/paths.js';

const folder = join(syscageRoot, 'profiles');

t.test('SHIPPED_PROFILES is the list of profiles/*.yaml', async (t) => {
  const onDisk = readdirSync(folder).filter((f) => f.endsWith('.yaml')).map((f) => f.slice(0, -'.yaml'.length)).sort();
  t.ok(onDisk.length >= 7, `profiles/ has the shipped profiles (${onDisk.join(', ')})`);
  t.same([...SHIPPED_PROFILES].sort(), onDisk, 'the same names: add or remove one in cdk/lib/profiles.ts when profiles/ changes');
  for (const name of SHIPPED_PROFILES) {
    t.match(readFileSync(join(folder, `${name}.yaml`), 'utf8'), new RegExp(`^name: ${name}$`, 'm'), `profiles/${name}.yaml says name: ${name}`);
  }
});

t.test('a shipped profile is at /opt/syscage/profiles/NAME.yaml in the layer', async (t) => {
  t.equal(shippedProfilePath('python'), '/opt/syscage/profiles/python.yaml');
  // The layer's builder copies profiles/ to syscage/profiles/ in the zip (unpacked at /opt).
  const builder = readFileSync(join(syscageRoot, 'scripts', 'build-layer.mjs'), 'utf8');
  t.match(builder, /for \(const f of walk\(join\(root, 'profiles'\)\)\) addFrom\(`syscage\/profiles\/\$\{f\}`, join\(root, 'profiles', f\)\);/,
    'scripts/build-layer.mjs puts profiles/F at syscage/profiles/F');
});

const zip = join(syscageRoot, 'dist', 'syscage-layer-x86_64.zip');
const unzip = '/usr/bin/unzip';
t.test('in the built layer zip, each shipped profile is where the function is told it is', {
  skip: !existsSync(zip) ? 'dist/syscage-layer-x86_64.zip is not built (make layer ARCH=x86_64)' : !existsSync(unzip) ? `${unzip} is not installed` : false,
}, async (t) => {
  const names = execFileSync(unzip, ['-Z1', zip], { encoding: 'utf8', maxBuffer: 16 << 20 }).split('\n');
  for (const name of SHIPPED_PROFILES) {
    const inZip = shippedProfilePath(name).replace(/^\/opt\//, '');
    t.ok(names.includes(inZip), `${inZip} is in the zip`);
  }
});
