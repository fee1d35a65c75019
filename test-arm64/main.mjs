// The arm64 suite: runs INSIDE the arm64 VM (scripts/arm64/guest.sh starts it), with the arm64
// layer's own node, on a real aarch64 Linux kernel. `make test-arm64` builds and boots all that.
//
//   /opt/bin/node main.mjs --layer /opt --bin DIR --scratch DIR --node-version X.Y.Z [--only compile,run,invoke,doctor]
//
// --layer         the unpacked arm64 layer (bin/node, syscage/dist, koffi's linux_arm64 binary)
// --bin           the static aarch64 test programs (test-arm64/c/*.c)
// --scratch       a writable directory for profiles, logs, files
// --node-version  the Node.js the layer is pinned to (scripts/build-layer.mjs's NODE_VERSION):
//                 the runner, which is the layer's bin/node, must be exactly that one
//
// One line per check, "ok N - what" / "not ok N - what" (with what was seen), "# area" headings,
// and last a line exactly "N passed, N failed". Exit status 1 when a check failed. A check that
// cannot run here is a failure that says why; nothing is skipped silently.
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { area, check, config, equal, layerNode, matches, prog, summary } from './helpers.mjs';
import compileChecks from './compile.mjs';
import runChecks from './run.mjs';
import invokeChecks from './invoke.mjs';
import doctorChecks from './doctor.mjs';

const AREAS = { compile: compileChecks, run: runChecks, invoke: invokeChecks, doctor: doctorChecks };

function parseArgs(argv) {
  const o = { only: Object.keys(AREAS) };
  for (let i = 0; i < argv.length; i++) {
    const [k, v] = [argv[i], argv[i + 1]];
    if (k === '--layer') config.layer = realpathSync(v);
    else if (k === '--bin') config.bin = realpathSync(v);
    else if (k === '--scratch') config.scratch = realpathSync(v);
    else if (k === '--only') o.only = v.split(',').filter(Boolean);
    else if (k === '--node-version') o.nodeVersion = v;
    else throw new Error(`main.mjs: unknown argument ${k}`);
    i++;
  }
  for (const a of o.only) if (!AREAS[a]) throw new Error(`main.mjs: unknown area ${a} (${Object.keys(AREAS).join(', ')})`);
  if (!config.bin || !config.scratch) throw new Error('main.mjs: --bin and --scratch are required');
  return o;
}

const t0 = performance.now();
let only;
let nodeVersion;
try {
  ({ only, nodeVersion } = parseArgs(process.argv.slice(2)));
} catch (e) {
  console.log(e.message);
  console.log('0 passed, 1 failed');
  process.exit(2);
}

await area('setup', async () => {
  // What runs here is the layer, not anything of the host: its node, its koffi, its syscage.
  equal('setup: the runner runs on the layer\'s bin/node', realpathSync(process.execPath), realpathSync(layerNode()));
  equal('setup: node is an arm64 build', process.arch, 'arm64');
  // The layer ships Node 26 LTS: the node running here is the pinned release, nothing else.
  check('setup: the pinned Node.js version is known (--node-version)', /^\d+\.\d+\.\d+$/.test(nodeVersion ?? ''), { nodeVersion });
  equal('setup: the layer\'s node is the pinned release', process.version, `v${nodeVersion}`);
  matches('setup: the layer\'s node is Node.js 26', process.version, /^v26\./);
  // Node.js >= 25 links libatomic.so.1, which this VM (like a minimal image) does not have: the
  // layer brings it in lib/, found through LD_LIBRARY_PATH as on Lambda (/opt/lib).
  const maps = readFileSync('/proc/self/maps', 'utf8').split('\n');
  const atomic = [...new Set(maps.filter((l) => l.includes('libatomic')).map((l) => l.split(/\s+/).pop()))];
  check('setup: node\'s libatomic.so.1 is the layer\'s lib/libatomic.so.1', atomic.length === 1 && realpathSync(atomic[0]) === realpathSync(join(config.layer, 'lib', 'libatomic.so.1')), { atomic });
  const { hostArch } = await import(join(config.layer, 'syscage', 'dist', 'lib', 'arch', 'index.js'));
  equal('setup: the layer\'s syscage loads and sees aarch64', hostArch(), 'aarch64');
  // Loading syscage's native module maps koffi's binary: it must be the layer's linux_arm64 one.
  await import(join(config.layer, 'syscage', 'dist', 'lib', 'native', 'index.js'));
  const mapped = [...new Set(readFileSync('/proc/self/maps', 'utf8').split('\n').filter((l) => l.includes('koffi')).map((l) => l.split(/\s+/).pop()))];
  const want = join(config.layer, 'syscage', 'node_modules', '@koromix', 'koffi-linux-arm64', 'linux_arm64', 'koffi.node');
  check('setup: the koffi binary loaded is the layer\'s linux_arm64/koffi.node', mapped.length === 1 && mapped[0] === want, { mapped, want });
  for (const p of ['attempt', 'victim', 'hello', 'static-runtime']) check(`setup: test program ${p} is built`, existsSync(prog(p)), { path: prog(p) });
});

for (const name of only) await area(name, AREAS[name]);

const { passed, failed } = summary();
console.log(`# ${((performance.now() - t0) / 1000).toFixed(1)} s in the VM (runner)`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
