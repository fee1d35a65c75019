// SyscageFunction: a Lambda function on provided.al2023 whose runtime syscage's bootstrap starts
// sandboxed under a profile, with the syscage layer for its architecture attached.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, posix, resolve } from 'node:path';
import { Annotations, Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { ISyscageLayer } from './layer.js';
import { FUNCTION_PROFILES, isFunctionProfile, isShippedProfile, shippedProfilePath, TASK_ROOT, type FunctionProfile, type ShippedProfile } from './profiles.js';

/** The metric syscage's bootstrap writes (embedded metric format, lib/runtime/metrics.ts in syscage). */
export const VIOLATIONS_METRIC = { namespace: 'syscage', metricName: 'Violations', dimension: 'FunctionName' } as const;

/** The alarm on the function's violations. */
export interface SyscageViolationsAlarmOptions {
  /**
   * The alarm fires when the function's `Violations` (calls the profile refused, or would have in
   * `mode: audit`), summed over five minutes, are greater than this.
   * @default 0 (any violation)
   */
  readonly threshold?: number;
  /**
   * An SNS topic told when the alarm fires.
   * @default no action
   */
  readonly topic?: sns.ITopic;
  /**
   * The alarm's name.
   * @default a name CloudFormation generates
   */
  readonly alarmName?: string;
}

/** Properties of a SyscageFunction: those of a lambda.Function but its runtime, architecture and code, and syscage's own. */
export interface SyscageFunctionProps extends Omit<lambda.FunctionOptions, 'architecture'> {
  /**
   * The syscage layer (a SyscageLayer, or SyscageLayer.fromLayerVersionArn). It is attached first,
   * before `layers`, and the function gets its architecture.
   */
  readonly syscage: ISyscageLayer;
  /**
   * The directory of the function's code, deployed to /var/task. Unless `profile` names a shipped
   * profile, it must contain the profile, `profileFile` (default `syscage.yaml`): synthesis fails
   * when it does not.
   */
  readonly code: string;
  /**
   * A whole profile the layer ships (`lambda-nodejs`, `python`, `static-binary`), used as is from
   * /opt/syscage/profiles/NAME.yaml (SYSCAGE_PROFILE). A shipped profile names no handler command:
   * give `command` too. To narrow or extend one, or to use the presets (`no-network`,
   * `no-subprocess`, `readonly-task`) or `nodejs` (syscalls only), which alone leave a function
   * nearly unconfined, write your own profile (`extends: [lambda-nodejs, no-network]`) into `code`.
   * @default the profile `profileFile` in `code`
   */
  readonly profile?: FunctionProfile;
  /**
   * The profile's path inside `code` when `profile` is not given; SYSCAGE_PROFILE is
   * /var/task/<profileFile>.
   * @default 'syscage.yaml'
   */
  readonly profileFile?: string;
  /**
   * The handler command, the program that serves invocations (SYSCAGE_COMMAND, as a JSON array),
   * e.g. `['/opt/bin/node', '/var/task/runtime.mjs']`. The profile's own `command:` wins over it.
   * @default none: the profile's `command:`
   */
  readonly command?: string[];
  /**
   * The function's handler setting, passed to your runtime in `_HANDLER` (syscage does not read it).
   * @default 'index.handler'
   */
  readonly handler?: string;
  /**
   * A CloudWatch alarm on the function's violations: namespace `syscage`, metric `Violations`,
   * dimension `FunctionName`, Sum over 5 minutes greater than the threshold, missing data not
   * breaching. `true` for the defaults.
   * @default no alarm
   */
  readonly violationsAlarm?: boolean | SyscageViolationsAlarmOptions;
}

/** Environment variables syscage's bootstrap reads; set through `profile`, `profileFile` and `command`, never `environment`. */
const OURS = ['SYSCAGE_PROFILE', 'SYSCAGE_COMMAND'];

/**
 * A Lambda function on `provided.al2023` sandboxed by syscage: the syscage layer attached (its
 * `/opt/bootstrap` is the function's runtime), the function's architecture the layer's, its code
 * from a directory holding the profile, SYSCAGE_PROFILE (and SYSCAGE_COMMAND when given) in its
 * environment, logs in Lambda's JSON format unless told otherwise, and optionally an alarm on the
 * `syscage`/`Violations` metric.
 */
export class SyscageFunction extends lambda.Function {
  /** The alarm on violations, when `violationsAlarm` asked for one. */
  readonly violationsAlarm?: cloudwatch.Alarm;
  /** Where the function finds its profile (SYSCAGE_PROFILE). */
  readonly profilePath: string;

  constructor(scope: Construct, id: string, props: SyscageFunctionProps) {
    const code = resolve(props.code);
    const problems: string[] = [];
    // The code directory is deployed as is, with a shipped profile as with one of its own.
    const codeProblem = codeDirectoryProblem(code);
    if (codeProblem) problems.push(codeProblem);
    let profilePath: string;
    if (props.profile !== undefined) {
      if (!isShippedProfile(props.profile)) problems.push(`profile "${props.profile}" is not a profile the syscage layer ships`);
      else if (!isFunctionProfile(props.profile)) problems.push(notWholeProfile(props.profile, props.code));
      profilePath = shippedProfilePath(props.profile);
      if (!props.command?.length) problems.push(`the shipped profile ${props.profile} names no handler command: give command (SYSCAGE_COMMAND), or write a profile of your own with command: into ${props.code}`);
    } else {
      const file = props.profileFile ?? 'syscage.yaml';
      const fileProblem = file === '' || file.split('/').every((p) => p === '' || p === '.') ? `profileFile is empty: give the profile's path inside code (default syscage.yaml)`
        : posix.isAbsolute(file) || file.split('/').includes('..') ? `profileFile must be a path inside code, not ${file}` : undefined;
      if (fileProblem) problems.push(fileProblem);
      profilePath = posix.join(TASK_ROOT, file);
      const local = join(code, file);
      if (codeProblem || fileProblem) {
        // reported above: nothing to read
      } else if (!existsSync(local)) problems.push(`no profile in the function's code: ${local} does not exist (syscage's bootstrap reads ${profilePath}: put the profile there, or name a shipped one with profile)`);
      else if (!statSync(local).isFile()) problems.push(`the profile ${local} is not a file: profileFile names the profile's YAML file inside code, not ${file}`);
      else if (!props.command?.length && namesNoCommand(readFileSync(local, 'utf8'))) {
        problems.push(`the profile ${local} names no handler command: add command: to it, or give command`);
      }
    }
    const environment: Record<string, string> = { ...props.environment };
    for (const k of OURS) if (k in environment) problems.push(`set ${k} through ${k === 'SYSCAGE_PROFILE' ? 'profile or profileFile' : 'command'}, not environment`);
    environment.SYSCAGE_PROFILE = profilePath;
    if (props.command?.length) environment.SYSCAGE_COMMAND = JSON.stringify(props.command);

    // Lambda's JSON format unless the function says otherwise, through loggingFormat or the
    // deprecated logFormat (aws-cdk-lib takes only one of them).
    const { logFormat, loggingFormat } = props;
    const bothFormats = logFormat !== undefined && loggingFormat !== undefined;
    if (bothFormats) problems.push(`give loggingFormat or the deprecated logFormat, not both (loggingFormat ${loggingFormat}, logFormat ${logFormat} here)`);
    const logging = logFormat === undefined || bothFormats ? { loggingFormat: loggingFormat ?? lambda.LoggingFormat.JSON } : { logFormat };
    // syscage writes its events and its metrics record at WARN; with JSON logs Lambda drops records
    // below the application log level (a Text log is not filtered, and aws-cdk-lib takes a level
    // only with JSON).
    const level = `${props.applicationLogLevelV2 ?? props.applicationLogLevel ?? ''}`.toUpperCase();
    const hides = HIDING_LEVELS.includes(level);
    if (hides && props.violationsAlarm) {
      problems.push(`the application log level ${level} hides syscage's metrics: syscage writes its metrics record (what the violations alarm watches) and its events at WARN, and Lambda drops JSON records below ${level}, so the alarm could never fire: set applicationLogLevelV2 to WARN or lower (INFO, the default, is fine)`);
    }

    // Without the props' own logFormat key (even undefined, jsii would warn that it is deprecated).
    const { logFormat: _logFormat, loggingFormat: _loggingFormat, ...rest } = props;
    super(scope, id, {
      ...rest,
      runtime: lambda.Runtime.PROVIDED_AL2023,
      architecture: props.syscage.architecture,
      handler: props.handler ?? 'index.handler',
      // A missing or wrong code directory is reported above; a placeholder keeps the tree buildable until synthesis fails on it.
      code: codeProblem ? lambda.Code.fromCfnParameters() : lambda.Code.fromAsset(code),
      layers: [props.syscage.layerVersion, ...(props.layers ?? [])],
      environment,
      ...logging,
    });
    this.profilePath = profilePath;
    for (const p of problems) Annotations.of(this).addError(`syscage: ${p}`);
    if (hides && !props.violationsAlarm) {
      Annotations.of(this).addWarningV2('syscage:logLevelHidesEvents', `syscage: the application log level ${level} hides syscage's events and metrics: `
        + `syscage writes what the sandbox refused (or would have, in mode: audit) and its metrics record at WARN, and Lambda drops JSON records below ${level}; `
        + 'refusals are still enforced, but nothing says so: set applicationLogLevelV2 to WARN or lower');
    }

    if (props.violationsAlarm) {
      const o = props.violationsAlarm === true ? {} : props.violationsAlarm;
      this.violationsAlarm = this.metricViolations().createAlarm(this, 'ViolationsAlarm', {
        threshold: o.threshold ?? 0,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: `syscage: calls the profile refused in ${this.node.path}`,
        ...(o.alarmName !== undefined ? { alarmName: o.alarmName } : {}),
      });
      if (o.topic) this.violationsAlarm.addAlarmAction(new actions.SnsAction(o.topic));
    }
  }

  /** The function's `syscage`/`Violations` metric, dimension FunctionName: Sum over 5 minutes unless props say otherwise. */
  metricViolations(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: VIOLATIONS_METRIC.namespace,
      metricName: VIOLATIONS_METRIC.metricName,
      dimensionsMap: { [VIOLATIONS_METRIC.dimension]: this.functionName },
      statistic: cloudwatch.Stats.SUM,
      period: Duration.minutes(5),
      ...props,
    });
  }
}

/** Application log levels above WARN, at which Lambda drops syscage's records (WARN) from a JSON log. */
const HIDING_LEVELS = ['ERROR', 'FATAL'];

/** What is wrong with the function's code directory, if anything. */
function codeDirectoryProblem(code: string): string | undefined {
  if (!existsSync(code)) return `the function's code directory ${code} does not exist`;
  if (statSync(code).isDirectory()) return undefined;
  return `the function's code ${code} is ${/\.(zip|jar)$/i.test(code) ? 'a zip' : 'a file'}, not a directory: give the directory of the function's code `
    + '(its files and its profile; it is deployed to /var/task as is, zipped by the CDK)' + (/\.(zip|jar)$/i.test(code) ? ': unpack the zip into a directory and give that' : '');
}

/** Why a shipped profile that is not whole is no profile for a function alone. */
function notWholeProfile(name: ShippedProfile, code: string): string {
  const what = name === 'nodejs' ? 'decides syscalls only (no files, exec or network section)' : 'is a preset for extends (it only narrows)';
  return `the shipped profile ${name} ${what}: alone it leaves the function nearly unconfined; name a whole one (${FUNCTION_PROFILES.join(', ')}), `
    + `or write a profile of your own into ${code} with extends: [${name === 'nodejs' ? 'lambda-nodejs' : `lambda-nodejs, ${name}`}]`;
}

/**
 * Whether a profile's text surely names no handler command: no top-level `command:`, and no
 * `extends` other than shipped profiles (which name none). A base of its own may name one.
 */
function namesNoCommand(text: string): boolean {
  if (/^command\s*:/m.test(text)) return false;
  const ext = /^extends\s*:\s*(.*)$/m.exec(text);
  if (!ext) return true;
  const flow = /^\[([^\]]*)\]/.exec(ext[1]!.trim());
  if (!flow) return false;
  return flow[1]!.split(',').map((s) => s.trim().replace(/^["']|["']$/g, '')).filter(Boolean).every(isShippedProfile);
}
