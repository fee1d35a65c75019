// A checker of CloudWatch's embedded metric format (EMF) specification, for the tests: the problems
// of one log event's text, none when CloudWatch would extract its metrics. The rules, from the
// specification ("Specification: Embedded metric format", Amazon CloudWatch user guide):
// - the event is one JSON object, nothing before or after it, at most 1 MB;
// - the root has `_aws`, an object with `Timestamp` (milliseconds since the epoch) and
//   `CloudWatchMetrics`, an array of MetricDirective;
// - a MetricDirective has exactly `Namespace` (1–1024 characters), `Dimensions` (an array of
//   DimensionSet: arrays of at most 30 dimension names) and `Metrics` (at most 100
//   MetricDefinition);
// - a MetricDefinition has `Name` (1–1024 characters) and optionally `Unit` (one of CloudWatch's
//   units) and `StorageResolution` (1 or 60);
// - every name a directive refers to is a member of the root: a dimension's value is a string
//   (1–1024 characters), a metric's a number or an array of at most 100 numbers.
const UNITS = new Set([
  'Seconds', 'Microseconds', 'Milliseconds', 'Bytes', 'Kilobytes', 'Megabytes', 'Gigabytes', 'Terabytes', 'Bits',
  'Kilobits', 'Megabits', 'Gigabits', 'Terabits', 'Percent', 'Count', 'Bytes/Second', 'Kilobytes/Second',
  'Megabytes/Second', 'Gigabytes/Second', 'Terabytes/Second', 'Bits/Second', 'Kilobits/Second', 'Megabits/Second',
  'Gigabits/Second', 'Terabits/Second', 'Count/Second', 'None',
]);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isName = (v: unknown): v is string => typeof v === 'string' && v.length >= 1 && v.length <= 1024;

export function emfProblems(line: string): string[] {
  const p: string[] = [];
  if (Buffer.byteLength(line) > 1024 * 1024) p.push('larger than 1 MB');
  let root: unknown;
  try {
    root = JSON.parse(line);
  } catch (e) {
    return [`not one JSON value: ${(e as Error).message}`];
  }
  if (!isObject(root)) return ['not a JSON object'];
  const aws = root._aws;
  if (!isObject(aws)) return ['no _aws object'];
  if (typeof aws.Timestamp !== 'number' || !Number.isInteger(aws.Timestamp) || aws.Timestamp < 0) p.push('_aws.Timestamp is not a number of milliseconds');
  if (!Array.isArray(aws.CloudWatchMetrics)) return [...p, '_aws.CloudWatchMetrics is not an array'];
  aws.CloudWatchMetrics.forEach((d: unknown, i: number) => {
    const at = `CloudWatchMetrics[${i}]`;
    if (!isObject(d)) return p.push(`${at} is not an object`);
    const extra = Object.keys(d).filter((k) => !['Namespace', 'Dimensions', 'Metrics'].includes(k));
    if (extra.length) p.push(`${at} has members the specification does not define: ${extra.join(', ')}`);
    if (!isName(d.Namespace)) p.push(`${at}.Namespace is not a string of 1–1024 characters`);
    if (!Array.isArray(d.Dimensions)) p.push(`${at}.Dimensions is not an array`);
    else for (const set of d.Dimensions as unknown[]) {
      if (!Array.isArray(set) || set.length > 30) { p.push(`${at}: a dimension set is not an array of at most 30 names`); continue; }
      for (const name of set) {
        if (!isName(name)) p.push(`${at}: a dimension name is not a string`);
        else if (!isName(root[name])) p.push(`${at}: dimension ${name} is not a root member with a string value of 1–1024 characters`);
      }
    }
    if (!Array.isArray(d.Metrics) || d.Metrics.length > 100) return p.push(`${at}.Metrics is not an array of at most 100 definitions`);
    for (const m of d.Metrics as unknown[]) {
      if (!isObject(m) || !isName(m.Name)) { p.push(`${at}: a metric definition has no Name`); continue; }
      const mextra = Object.keys(m).filter((k) => !['Name', 'Unit', 'StorageResolution'].includes(k));
      if (mextra.length) p.push(`${at}: metric ${m.Name} has members the specification does not define: ${mextra.join(', ')}`);
      if (m.Unit !== undefined && !UNITS.has(m.Unit as string)) p.push(`${at}: metric ${m.Name} has an unknown unit ${String(m.Unit)}`);
      if (m.StorageResolution !== undefined && m.StorageResolution !== 1 && m.StorageResolution !== 60) p.push(`${at}: metric ${m.Name}: StorageResolution is not 1 or 60`);
      const v = root[m.Name];
      const numeric = typeof v === 'number' || (Array.isArray(v) && v.length <= 100 && v.every((x) => typeof x === 'number'));
      if (!numeric) p.push(`${at}: metric ${m.Name} is not a root member with a number value`);
    }
    return undefined;
  });
  return p;
}
