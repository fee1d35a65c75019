// The example app (cdk/example) as a user runs it: `cdk synth` with the aws-cdk CLI, offline, with
// no AWS credentials; then the function it deploys, run locally: the function's asset and the
// layer's asset from the cloud assembly are mounted where Lambda puts them (/var/task, /opt) in a
// private mount namespace, and `syscage invoke` runs the profile the template's SYSCAGE_PROFILE
// names with the handler command that profile's command: names — what the stack deploys is what
// ran here.
import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { layerZip } from './helpers/layer-zip.js';
import { cdkRoot, syscageRoot } from './helpers/paths.js';

const work = mkdtempSync(join(tmpdir(), 'syscage-cdk-example-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));
const zip = layerZip('x86_64');
t.comment(zip.standIn ? 'layer: a STAND-IN zip (dist/syscage-layer-x86_64.zip is not built: make layer ARCH=x86_64); the function runs on this machine\'s node'
  : `layer: ${zip.path}`);

// tap's loaders, and any AWS credentials or configuration of this machine, must not reach the children.
const cleanEnv = () => Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_OPTIONS' && !k.startsWith('_TAPJS') && !k.startsWith('AWS_') && !k.startsWith('CDK_')));
const can = (cmd: string, ...args: string[]) => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;

// The package's own build (the app cdk.json runs is compiled: dist/example/bin/app.js).
if (!existsSync(join(cdkRoot, 'dist', 'example', 'bin', 'app.js'))) {
  execFileSync(process.execPath, [join(cdkRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(cdkRoot, 'tsconfig.json')], { stdio: 'inherit' });
}

const out = join(work, 'cdk.out');
const home = join(work, 'home');
mkdirSync(home);
// Offline for real where this machine can: a network namespace with nothing in it but loopback.
const isolated = can('unshare', '--net', 'true');
/** The aws-cdk CLI's synth, as a user would run it offline (docs/deploy.md), for this layer zip and output directory. */
const synthArgs = (layer: string, output: string) => [join(cdkRoot, 'node_modules', 'aws-cdk', 'bin', 'cdk'), 'synth', '--no-notices', '--no-version-reporting', '--no-lookups',
  '-c', `layerZip=${layer}`, '-o', output];
const synthArgv = synthArgs(zip.path, out);
const synth = spawnSync(isolated ? 'unshare' : process.execPath, isolated ? ['--net', process.execPath, ...synthArgv] : synthArgv, {
  cwd: join(cdkRoot, 'example'),
  // HOME: a fresh one, so no ~/.aws/credentials or ~/.cdk of this machine is read.
  env: { ...cleanEnv(), HOME: home, CDK_DISABLE_VERSION_CHECK: 'true', CDK_DISABLE_CLI_TELEMETRY: 'true' },
  encoding: 'utf8', timeout: 170_000,
});
const templateFile = join(out, 'SyscageHello.template.json');

type Resource = { Type: string; Properties: Record<string, any>; Metadata?: Record<string, string> };
const template = existsSync(templateFile) ? JSON.parse(readFileSync(templateFile, 'utf8')) as { Resources: Record<string, Resource> } : undefined;
const ofType = (type: string) => Object.entries(template?.Resources ?? {}).filter(([, r]) => r.Type === type);

t.test('cdk synth of the example app: no credentials, no network, a template', async (t) => {
  t.equal(synth.status, 0, 'cdk synth succeeded', { stderr: synth.stderr });
  t.ok(template, `${templateFile} written`);
  t.same(readdirSync(out).filter((f) => f.endsWith('.template.json')), ['SyscageHello.template.json'], 'one stack');
  t.notMatch(synth.stderr, /Unable to resolve AWS account|credentials/i, 'nothing about credentials');
  const layers = ofType('AWS::Lambda::LayerVersion');
  t.equal(layers.length, 1, 'one layer version');
  t.same(layers[0]?.[1].Properties.CompatibleArchitectures, ['x86_64']);
  t.same(layers[0]?.[1].Properties.CompatibleRuntimes, ['provided.al2023']);
  const fns = ofType('AWS::Lambda::Function');
  t.equal(fns.length, 1, 'one function');
  const fn = fns[0]![1].Properties;
  t.equal(fn.Runtime, 'provided.al2023');
  t.same(fn.Architectures, ['x86_64']);
  t.same(fn.Layers, [{ Ref: layers[0]?.[0] }]);
  t.same(fn.Environment, { Variables: { SYSCAGE_PROFILE: '/var/task/syscage.yaml' } });
  t.same(fn.LoggingConfig, { LogFormat: 'JSON' });
  const alarms = ofType('AWS::CloudWatch::Alarm');
  t.equal(alarms.length, 1, 'the violations alarm');
  t.match(alarms[0]?.[1].Properties, {
    Namespace: 'syscage', MetricName: 'Violations', Dimensions: [{ Name: 'FunctionName', Value: { Ref: fns[0]![0] } }],
    Statistic: 'Sum', Period: 300, Threshold: 0, ComparisonOperator: 'GreaterThanThreshold', TreatMissingData: 'notBreaching',
    AlarmActions: [{ Ref: ofType('AWS::SNS::Topic')[0]?.[0] }],
  });
});

t.test('offline for real: synthesized in a network namespace with no network', { skip: isolated ? false : 'cannot make a network namespace here (unshare --net needs root): synthesized with the network present' }, async (t) => {
  t.equal(synth.status, 0, 'cdk synth needed no network');
});

t.test('cdk synth of the same app with no profile beside its code and no layer zip: the errors, no stack trace, exit 1', async (t) => {
  // The example app, run from a directory whose function/ has the runtime but no syscage.yaml.
  const app = join(work, 'broken');
  mkdirSync(join(app, 'function'), { recursive: true });
  writeFileSync(join(app, 'function', 'runtime.mjs'), readFileSync(join(cdkRoot, 'example', 'function', 'runtime.mjs')));
  writeFileSync(join(app, 'cdk.json'), JSON.stringify({ app: `${JSON.stringify(process.execPath)} ${JSON.stringify(join(cdkRoot, 'dist', 'example', 'bin', 'app.js'))}` }));
  const missingZip = join(work, 'nowhere', 'syscage-layer-x86_64.zip');
  const r = spawnSync(process.execPath, synthArgs(missingZip, join(work, 'broken.out')), {
    cwd: app, env: { ...cleanEnv(), HOME: home, CDK_DISABLE_VERSION_CHECK: 'true', CDK_DISABLE_CLI_TELEMETRY: 'true' }, encoding: 'utf8', timeout: 120_000,
  });
  const text = r.stdout + r.stderr;
  t.equal(r.status, 1, 'cdk synth failed');
  t.ok(text.includes(`syscage: no profile in the function's code: ${join(app, 'function', 'syscage.yaml')} does not exist (syscage's bootstrap reads /var/task/syscage.yaml`), 'the missing profile, by its path', { text });
  t.ok(text.includes(`syscage: the syscage layer zip ${missingZip} does not exist: build it in a syscage checkout with \`make layer ARCH=x86_64\``), 'the missing layer zip, and how to build it', { text });
  t.notMatch(text, /^\s+at .*\(.*:\d+:\d+\)$/m, 'no JavaScript stack trace');
});

// ---- the function, run as deployed ---------------------------------------------------------

const syscage = join(syscageRoot, 'bin', 'syscage');
const unzip = '/usr/bin/unzip';
const skipInvoke = !template ? 'no template (cdk synth failed)'
  : !can('unshare', '--mount', 'true') ? 'cannot make a mount namespace here (unshare --mount needs root) to put the assets at /var/task and /opt'
    : !zip.standIn && !existsSync(unzip) ? `${unzip} is not installed` : false;

t.test('the deployed function\'s code, under the deployed profile, answers an event (syscage invoke)', { skip: skipInvoke }, async (t) => {
  if (!existsSync(join(syscageRoot, 'dist', 'bundle', 'cli', 'entry.js'))) execFileSync('npm', ['run', 'build'], { cwd: syscageRoot, stdio: 'inherit' });
  const [, fnRes] = ofType('AWS::Lambda::Function')[0]!;
  const [, layerRes] = ofType('AWS::Lambda::LayerVersion')[0]!;
  // The assets the template deploys, by the path the CDK records on each resource.
  const task = join(out, fnRes.Metadata!['aws:asset:path']!);
  const layerAsset = join(out, layerRes.Metadata!['aws:asset:path']!);
  t.ok(existsSync(join(task, 'syscage.yaml')), 'the function asset holds the profile');
  const profile = fnRes.Properties.Environment.Variables.SYSCAGE_PROFILE as string;
  t.equal(profile, '/var/task/syscage.yaml');
  const command = (parse(readFileSync(join(task, 'syscage.yaml'), 'utf8')) as { command: string[] }).command;
  t.same(command, ['/opt/bin/node', '/var/task/runtime.mjs'], 'the handler command, from the deployed profile');

  // /opt: the layer asset unpacked; for a stand-in layer, its files with this machine's node at /opt/bin/node.
  const opt = join(work, 'opt');
  mkdirSync(join(opt, 'bin'), { recursive: true });
  let node = '';
  if (zip.standIn) {
    writeFileSync(join(opt, 'bin', 'node'), '');
    node = process.execPath;
  } else {
    execFileSync(unzip, ['-q', layerAsset, '-d', opt]);
  }
  const event = join(work, 'event.json');
  writeFileSync(event, JSON.stringify({ name: 'syscage' }));
  const script = [
    'set -e',
    'opt=$1 task=$2 node=$3; shift 3',
    'mount --bind "$opt" /opt',
    '[ -z "$node" ] || mount --bind "$node" /opt/bin/node',
    // Lambda's /var/task; where this machine has none, /var is a fresh tmpfs in this namespace only.
    '[ -d /var/task ] || { mount -t tmpfs tmpfs /var; mkdir /var/task; }',
    'mount --bind "$task" /var/task',
    'mount -o remount,bind,ro /var/task',
    'exec "$@"',
  ].join('\n');
  const r = spawnSync('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script, 'sh', opt, task, node,
    process.execPath, syscage, 'invoke', '--profile', profile, '--event', event, '--', ...command], {
    // As Lambda sets them for this function (LoggingConfig JSON → AWS_LAMBDA_LOG_FORMAT=JSON).
    env: { ...cleanEnv(), HOME: home, LD_LIBRARY_PATH: '/opt/lib', LAMBDA_TASK_ROOT: '/var/task', AWS_LAMBDA_FUNCTION_NAME: 'SyscageHello-Hello',
      AWS_LAMBDA_LOG_FORMAT: fnRes.Properties.LoggingConfig.LogFormat },
    encoding: 'utf8', timeout: 60_000,
  });
  t.equal(r.status, 0, 'the invocation succeeded', { stderr: r.stderr });
  const answer = JSON.parse(r.stdout.trim().split('\n').pop() ?? 'null') as { greeting?: string; node?: string } | null;
  t.equal(answer?.greeting, 'hello, syscage', 'the handler\'s answer');
  if (!zip.standIn) t.match(answer?.node, /^v26\./, 'served by the layer\'s own Node.js 26');
  const records = r.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { message?: string; syscage?: { syscall: string }; _aws?: unknown });
  t.ok(records.some((l) => /^syscage: tier /.test(l.message ?? '')), 'syscage\'s own Lambda JSON log records', { stderr: r.stderr });
  // Node.js 26's libuv probes for io_uring at start: answered ENOSYS in the kernel, unreported, not a violation.
  t.same(records.filter((l) => l.syscage).map((l) => l.syscage!.syscall), [], 'the profile refuses nothing the function does', { stderr: r.stderr });
  t.same(records.filter((l) => l._aws), [], 'so no violation metric: the alarm stays quiet on a clean start');
});
