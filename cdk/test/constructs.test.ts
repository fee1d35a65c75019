// SyscageLayer and SyscageFunction, checked on the synthesized CloudFormation template with
// aws-cdk-lib/assertions: the layer per architecture, the function's runtime, architecture,
// layers, environment and log format, the alarm, and a user's mistakes as synthesis errors.
import t, { type Test } from 'tap';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import { SyscageFunction, SyscageLayer, type SyscageFunctionProps } from '../lib/index.js';
import { layerZip } from './helpers/layer-zip.js';

const zips = { x86_64: layerZip('x86_64'), arm64: layerZip('arm64') };
t.comment(`layer zips: ${Object.entries(zips).map(([a, z]) => `${a} ${z.standIn ? 'a stand-in (make layer has not built it)' : z.path}`).join(', ')}`);

const work = mkdtempSync(join(tmpdir(), 'syscage-cdk-test-'));
/** A function code directory with these files. */
const codeDir = (name: string, files: Record<string, string>) => {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, f), text);
  return dir;
};
const ownProfile = 'version: 1\nname: t\nextends: [lambda-nodejs]\ncommand: [/opt/bin/node, /var/task/runtime.mjs]\n';
const code = codeDir('code', { 'syscage.yaml': ownProfile, 'runtime.mjs': '// runtime\n' });

const stack = () => new Stack(new App(), 'T');
type FnProps = Omit<SyscageFunctionProps, 'syscage'>;
/** A stack with one layer of arch and one function on it. */
function oneFunction(props: FnProps, arch: 'x86_64' | 'arm64' = 'x86_64') {
  const s = stack();
  const syscage = new SyscageLayer(s, 'Syscage', { zip: zips[arch].path, architecture: arch === 'arm64' ? lambda.Architecture.ARM_64 : lambda.Architecture.X86_64 });
  const fn = new SyscageFunction(s, 'Fn', { syscage, ...props });
  return { s, fn, template: Template.fromStack(s) };
}
const errors = (s: Stack) => Annotations.fromStack(s).findError('*', Match.anyValue()).map((m) => String(m.entry.data));
const warnings = (s: Stack) => Annotations.fromStack(s).findWarning('*', Match.anyValue()).map((m) => String(m.entry.data));
/** Exactly one synthesis error, matching re. */
const oneError = (t: Test, s: Stack, re: RegExp) => {
  const e = errors(s);
  t.equal(e.length, 1, 'one synthesis error', { errors: e });
  t.match(e[0], re, 'that says what is wrong and what to do');
};

t.test('one layer version per architecture, each for provided.al2023 and that architecture only', async (t) => {
  const s = stack();
  new SyscageLayer(s, 'X86', { zip: zips.x86_64.path, architecture: lambda.Architecture.X86_64 });
  new SyscageLayer(s, 'Arm', { zip: zips.arm64.path, architecture: lambda.Architecture.ARM_64 });
  const template = Template.fromStack(s);
  template.resourceCountIs('AWS::Lambda::LayerVersion', 2);
  for (const arch of ['x86_64', 'arm64']) {
    template.hasResourceProperties('AWS::Lambda::LayerVersion', { CompatibleArchitectures: [arch], CompatibleRuntimes: ['provided.al2023'] });
  }
  t.same(Object.values(template.findResources('AWS::Lambda::LayerVersion')).map((r) => r.Properties.CompatibleArchitectures).sort(), [['arm64'], ['x86_64']]);
  t.same(errors(s), [], 'no synthesis error');
});

t.test('the function: provided.al2023, the layer\'s architecture, the layer attached, JSON logs', async (t) => {
  for (const arch of ['x86_64', 'arm64'] as const) {
    const { s, template } = oneFunction({ code }, arch);
    const layer = Object.keys(template.findResources('AWS::Lambda::LayerVersion'));
    t.equal(layer.length, 1, `${arch}: one layer`);
    const fns = template.findResources('AWS::Lambda::Function');
    t.equal(Object.keys(fns).length, 1, `${arch}: one function`);
    const p = Object.values(fns)[0]!.Properties;
    t.equal(p.Runtime, 'provided.al2023', `${arch}: Runtime`);
    t.same(p.Architectures, [arch], `${arch}: Architectures`);
    t.same(p.Layers, [{ Ref: layer[0] }], `${arch}: Layers reference the syscage layer`);
    t.same(p.LoggingConfig, { LogFormat: 'JSON' }, `${arch}: JSON log format (the bootstrap writes Lambda JSON records and EMF in it)`);
    t.equal(p.Handler, 'index.handler');
    t.same(errors(s), [], 'no synthesis error');
  }
});

t.test('the syscage layer comes first, the function\'s own layers after it', async (t) => {
  const s = stack();
  const syscage = new SyscageLayer(s, 'Syscage', { zip: zips.x86_64.path });
  const other = lambda.LayerVersion.fromLayerVersionArn(s, 'Other', 'arn:aws:lambda:eu-west-1:123456789012:layer:python:3');
  new SyscageFunction(s, 'Fn', { syscage, code, layers: [other] });
  const p = Object.values(Template.fromStack(s).findResources('AWS::Lambda::Function'))[0]!.Properties;
  t.equal(p.Layers.length, 2);
  t.match(p.Layers[0], { Ref: /^SyscageLayer/ });
  t.equal(p.Layers[1], 'arn:aws:lambda:eu-west-1:123456789012:layer:python:3');
});

t.test('a published layer by ARN: attached, its architecture the function\'s, no layer version created', async (t) => {
  const s = stack();
  const arn = 'arn:aws:lambda:eu-west-1:123456789012:layer:syscage-arm64:4';
  const syscage = SyscageLayer.fromLayerVersionArn(s, 'Syscage', arn, lambda.Architecture.ARM_64);
  new SyscageFunction(s, 'Fn', { syscage, code });
  const template = Template.fromStack(s);
  template.resourceCountIs('AWS::Lambda::LayerVersion', 0);
  template.hasResourceProperties('AWS::Lambda::Function', { Architectures: ['arm64'], Layers: [arn], Runtime: 'provided.al2023' });
  t.same(errors(s), []);
});

t.test('the environment syscage reads', async (t) => {
  t.test('own profile in the code: SYSCAGE_PROFILE is its path in /var/task, no SYSCAGE_COMMAND (the profile\'s command: serves)', async (t) => {
    const { template, fn } = oneFunction({ code, environment: { TABLE: 'orders' } });
    const p = Object.values(template.findResources('AWS::Lambda::Function'))[0]!.Properties;
    t.same(p.Environment.Variables, { TABLE: 'orders', SYSCAGE_PROFILE: '/var/task/syscage.yaml' });
    t.equal(fn.profilePath, '/var/task/syscage.yaml');
  });
  t.test('profileFile names another file in the code', async (t) => {
    const other = codeDir('other', {});
    mkdirSync(join(other, 'sandbox'), { recursive: true });
    writeFileSync(join(other, 'sandbox', 'prod.yaml'), ownProfile);
    const { template, s } = oneFunction({ code: other, profileFile: 'sandbox/prod.yaml' });
    template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: { SYSCAGE_PROFILE: '/var/task/sandbox/prod.yaml' } } });
    t.same(errors(s), []);
  });
  t.test('a shipped profile: its path in the layer, and the command as a JSON array', async (t) => {
    const bare = codeDir('bare', { 'runtime.py': 'print()\n' });
    const command = ['/opt/python/bin/python3', '/var/task/runtime.py'];
    const { template, s } = oneFunction({ code: bare, profile: 'python', command });
    const vars = Object.values(template.findResources('AWS::Lambda::Function'))[0]!.Properties.Environment.Variables;
    t.same(vars, { SYSCAGE_PROFILE: '/opt/syscage/profiles/python.yaml', SYSCAGE_COMMAND: JSON.stringify(command) });
    t.same(JSON.parse(vars.SYSCAGE_COMMAND), command, 'SYSCAGE_COMMAND parses back to the command (the bootstrap reads a JSON array)');
    t.same(errors(s), [], 'no syscage.yaml needed in the code with a shipped profile');
  });
  t.test('the log format can be set otherwise', async (t) => {
    const { template } = oneFunction({ code, loggingFormat: lambda.LoggingFormat.TEXT });
    template.hasResourceProperties('AWS::Lambda::Function', { LoggingConfig: { LogFormat: 'Text' } });
  });
});

t.test('the deprecated logFormat is respected, never a crash', async (t) => {
  const loggingConfig = (template: Template) => Object.values(template.findResources('AWS::Lambda::Function'))[0]!.Properties.LoggingConfig;
  for (const logFormat of ['JSON', 'Text']) {
    // aws-cdk-lib throws "Only define LogFormat or LoggingFormat, not both" if the construct adds its default to a logFormat.
    const { s, template } = oneFunction({ code, logFormat, violationsAlarm: true });
    t.same(loggingConfig(template), { LogFormat: logFormat }, `logFormat ${logFormat}: the function's LogFormat`);
    // Text is fine for the alarm: the metrics record is then the bare EMF object on its own line (lib/runtime/log.ts).
    t.same(errors(s), [], `logFormat ${logFormat}: no synthesis error`);
    t.same(warnings(s), [], `logFormat ${logFormat}: no warning`);
  }
  t.test('both logFormat and loggingFormat: one synthesis error, no stack trace', async (t) => {
    const { s, template } = oneFunction({ code, logFormat: 'Text', loggingFormat: lambda.LoggingFormat.JSON });
    oneError(t, s, /^syscage: give loggingFormat or the deprecated logFormat, not both \(loggingFormat JSON, logFormat Text here\)$/);
    t.same(loggingConfig(template), { LogFormat: 'JSON' }, 'loggingFormat kept meanwhile');
  });
});

t.test('an application log level above WARN, at which Lambda drops syscage\'s WARN records', async (t) => {
  const level = (template: Template) => Object.values(template.findResources('AWS::Lambda::Function'))[0]!.Properties.LoggingConfig.ApplicationLogLevel;
  t.test('with the violations alarm: a synthesis error (the alarm could never fire)', async (t) => {
    for (const applicationLogLevelV2 of [lambda.ApplicationLogLevel.ERROR, lambda.ApplicationLogLevel.FATAL]) {
      const { s } = oneFunction({ code, applicationLogLevelV2, violationsAlarm: true });
      oneError(t, s, new RegExp(`^syscage: the application log level ${applicationLogLevelV2} hides syscage's metrics: .*the alarm could never fire: set applicationLogLevelV2 to WARN or lower`));
    }
    const { s } = oneFunction({ code, applicationLogLevel: 'error', violationsAlarm: { topic: undefined } });
    oneError(t, s, /^syscage: the application log level ERROR hides syscage's metrics/);
  });
  t.test('without the alarm: a warning that can be acknowledged (the refusals are enforced, only unreported)', async (t) => {
    const { s, template } = oneFunction({ code, applicationLogLevelV2: lambda.ApplicationLogLevel.ERROR });
    t.same(errors(s), [], 'no synthesis error');
    const w = warnings(s);
    t.equal(w.length, 1, 'one warning', { warnings: w });
    t.match(w[0], /^syscage: the application log level ERROR hides syscage's events and metrics: .*set applicationLogLevelV2 to WARN or lower \[ack: syscage:logLevelHidesEvents\]$/);
    t.equal(level(template), 'ERROR', 'the level is the function\'s');
  });
  t.test('WARN and lower: neither', async (t) => {
    for (const applicationLogLevelV2 of [lambda.ApplicationLogLevel.WARN, lambda.ApplicationLogLevel.INFO, lambda.ApplicationLogLevel.DEBUG, lambda.ApplicationLogLevel.TRACE]) {
      const { s, template } = oneFunction({ code, applicationLogLevelV2, violationsAlarm: true });
      t.same([...errors(s), ...warnings(s)], [], `${applicationLogLevelV2}: no error, no warning`);
      t.equal(level(template), applicationLogLevelV2, `${applicationLogLevelV2}: the function's ApplicationLogLevel`);
    }
  });
});

t.test('the alarm on syscage/Violations', async (t) => {
  t.test('absent unless asked for', async (t) => {
    const { template, fn } = oneFunction({ code });
    template.resourceCountIs('AWS::CloudWatch::Alarm', 0);
    t.equal(fn.violationsAlarm, undefined);
  });
  t.test('violationsAlarm: true — any violation in 5 minutes, missing data not breaching, by FunctionName', async (t) => {
    const { template, fn } = oneFunction({ code, violationsAlarm: true });
    template.resourceCountIs('AWS::CloudWatch::Alarm', 1);
    const fnId = Object.keys(template.findResources('AWS::Lambda::Function'))[0];
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'syscage',
      MetricName: 'Violations',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: fnId } }],
      Statistic: 'Sum',
      Period: 300,
      EvaluationPeriods: 1,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: Match.absent(),
    });
    t.ok(fn.violationsAlarm, 'exposed as fn.violationsAlarm');
  });
  t.test('a threshold and an SNS topic', async (t) => {
    const s = stack();
    const syscage = new SyscageLayer(s, 'Syscage', { zip: zips.x86_64.path });
    const topic = new sns.Topic(s, 'Alerts');
    new SyscageFunction(s, 'Fn', { syscage, code, violationsAlarm: { threshold: 5, topic, alarmName: 'orders-violations' } });
    const template = Template.fromStack(s);
    const topicId = Object.keys(template.findResources('AWS::SNS::Topic'))[0];
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { Threshold: 5, AlarmName: 'orders-violations', AlarmActions: [{ Ref: topicId }], Namespace: 'syscage', MetricName: 'Violations' });
  });
});

t.test('a user\'s mistakes are synthesis errors that say what to do', async (t) => {
  t.test('no profile in the code directory', async (t) => {
    const empty = codeDir('empty', { 'runtime.mjs': '// no profile beside me\n' });
    const { s } = oneFunction({ code: empty });
    oneError(t, s, /^syscage: no profile in the function's code: .*empty\/syscage\.yaml does not exist \(syscage's bootstrap reads \/var\/task\/syscage\.yaml: put the profile there, or name a shipped one with profile\)$/);
  });
  t.test('the code directory does not exist', async (t) => {
    const { s } = oneFunction({ code: join(work, 'nowhere') });
    oneError(t, s, /^syscage: the function's code directory .*nowhere does not exist$/);
  });
  t.test('a shipped profile and no code directory', async (t) => {
    const { s } = oneFunction({ code: join(work, 'nowhere'), profile: 'python', command: ['/opt/python/bin/python3', '/var/task/runtime.py'] });
    oneError(t, s, /^syscage: the function's code directory .*nowhere does not exist$/);
  });
  t.test('code that is a zip or another file, not a directory', async (t) => {
    const zipped = join(codeDir('zipped', { 'function.zip': 'PK' }), 'function.zip');
    for (const profile of [undefined, 'python'] as const) {
      const { s } = oneFunction({ code: zipped, ...(profile ? { profile, command: ['/x'] } : {}) });
      oneError(t, s, /^syscage: the function's code .*function\.zip is a zip, not a directory: give the directory of the function's code \(.*\): unpack the zip into a directory and give that$/);
    }
    const { s } = oneFunction({ code: join(code, 'runtime.mjs') });
    oneError(t, s, /^syscage: the function's code .*runtime\.mjs is a file, not a directory: give the directory of the function's code \(its files and its profile; it is deployed to \/var\/task as is, zipped by the CDK\)$/);
  });
  t.test('profileFile empty, or a directory', async (t) => {
    for (const profileFile of ['', '.', './']) {
      oneError(t, oneFunction({ code, profileFile }).s, /^syscage: profileFile is empty: give the profile's path inside code \(default syscage\.yaml\)$/);
    }
    const nested = codeDir('nested', {});
    mkdirSync(join(nested, 'sandbox'), { recursive: true });
    oneError(t, oneFunction({ code: nested, profileFile: 'sandbox' }).s, /^syscage: the profile .*nested\/sandbox is not a file: profileFile names the profile's YAML file inside code, not sandbox$/);
  });
  t.test('a shipped profile that is not whole: a preset, or nodejs (from JavaScript, past the type)', async (t) => {
    for (const profile of ['no-network', 'no-subprocess', 'readonly-task'] as const) {
      // @ts-expect-error: the presets are not whole profiles, and the type says so
      const { s } = oneFunction({ code, profile, command: ['/x'] });
      oneError(t, s, new RegExp(`^syscage: the shipped profile ${profile} is a preset for extends \\(it only narrows\\): alone it leaves the function nearly unconfined; `
        + `name a whole one \\(lambda-nodejs, python, static-binary\\), or write a profile of your own into .* with extends: \\[lambda-nodejs, ${profile}\\]$`));
    }
    // @ts-expect-error: nodejs decides syscalls only
    const { s } = oneFunction({ code, profile: 'nodejs', command: ['/x'] });
    oneError(t, s, /^syscage: the shipped profile nodejs decides syscalls only \(no files, exec or network section\): .* with extends: \[lambda-nodejs\]$/);
  });
  t.test('a shipped profile and no command', async (t) => {
    const { s } = oneFunction({ code, profile: 'static-binary' });
    oneError(t, s, /^syscage: the shipped profile static-binary names no handler command: give command/);
  });
  t.test('an own profile that names no command (and extends only shipped ones), and no command given', async (t) => {
    const noCmd = codeDir('nocmd', { 'syscage.yaml': 'version: 1\nextends: [lambda-nodejs]\n' });
    oneError(t, oneFunction({ code: noCmd }).s, /^syscage: the profile .*nocmd\/syscage\.yaml names no handler command: add command: to it, or give command$/);
    t.same(errors(oneFunction({ code: noCmd, command: ['/opt/bin/node', '/var/task/x.mjs'] }).s), [], 'given as command: fine');
    const ownBase = codeDir('ownbase', { 'syscage.yaml': 'version: 1\nextends: [./base.yaml]\n', 'base.yaml': ownProfile });
    t.same(errors(oneFunction({ code: ownBase }).s), [], 'a base of its own may name it: not an error');
  });
  t.test('SYSCAGE_* in environment', async (t) => {
    const { s } = oneFunction({ code, environment: { SYSCAGE_PROFILE: '/tmp/x.yaml' } });
    oneError(t, s, /^syscage: set SYSCAGE_PROFILE through profile or profileFile, not environment$/);
  });
  t.test('a profile name that is not shipped (from JavaScript, past the type)', async (t) => {
    const { s } = oneFunction({ code, profile: 'nodejs-strict' as never, command: ['/x'] });
    oneError(t, s, /^syscage: profile "nodejs-strict" is not a profile the syscage layer ships$/);
  });
  t.test('the layer zip is missing', async (t) => {
    const s = stack();
    new SyscageLayer(s, 'Syscage', { zip: join(work, 'dist', 'syscage-layer-arm64.zip'), architecture: lambda.Architecture.ARM_64 });
    oneError(t, s, /^syscage: the syscage layer zip .*syscage-layer-arm64\.zip does not exist: build it in a syscage checkout with `make layer ARCH=arm64`$/);
  });
  t.test('the zip of the other architecture', async (t) => {
    const s = stack();
    new SyscageLayer(s, 'Syscage', { zip: zips.arm64.path, architecture: lambda.Architecture.X86_64 });
    oneError(t, s, /^syscage: the syscage layer zip syscage-layer-arm64\.zip is built for arm64, and the layer's architecture is x86_64: give architecture: lambda\.Architecture\.ARM_64, or the x86_64 zip$/);
  });
});
