// Violation metrics for CloudWatch, in the embedded metric format (EMF): the bootstrap counts what
// each invocation broke and writes ONE record for it when the invocation ends (and one for each
// handler restart), so that an alarm can watch the function without reading a single event.
//
// {"_aws":{"Timestamp":1765000000000,"CloudWatchMetrics":[{"Namespace":"syscage",
//   "Dimensions":[["FunctionName"],["FunctionName","Tier","Profile"]],
//   "Metrics":[{"Name":"Violations","Unit":"Count"},…]}]},
//  "FunctionName":"orders","Tier":"runtime","Profile":"orders-api",
//  "Violations":1,"Refusals":1,"Kills":0,"MonitorKills":0,"Restarts":0,"requestId":"8f…"}
//
// Two dimension sets: the function alone, which is what an alarm watches (the tier is chosen by the
// platform at init: an alarm that named it would silently watch nothing on a platform that gives
// another), and the function with its tier and profile, to break the numbers down. Dimension values
// are names syscage controls or the function's own, reduced to a safe alphabet; a path, an address,
// an argument never goes into a dimension (the request id is a plain member, searchable in Logs
// Insights, not a dimension).
import type { AuditEvent } from '../audit/event.js';
import type { Tier } from '../profile/types.js';

export const METRIC_NAMESPACE = 'syscage';

/** What a record counts, in the order it lists them. */
export const METRIC_NAMES = ['Violations', 'Refusals', 'Kills', 'MonitorKills', 'Restarts'] as const;
export type MetricName = (typeof METRIC_NAMES)[number];
export type Tally = Record<MetricName, number>;

/** Every dimension a record carries. */
export interface MetricDimensions {
  readonly FunctionName: string;
  readonly Tier: Tier;
  readonly Profile: string;
}

export interface EmfRecord extends MetricDimensions, Tally {
  readonly _aws: {
    readonly Timestamp: number;
    readonly CloudWatchMetrics: readonly {
      readonly Namespace: string;
      readonly Dimensions: readonly (readonly (keyof MetricDimensions)[])[];
      readonly Metrics: readonly { readonly Name: MetricName; readonly Unit: 'Count' }[];
    }[];
  };
  readonly requestId?: string;
}

const zero = (): Tally => ({ Violations: 0, Refusals: 0, Kills: 0, MonitorKills: 0, Restarts: 0 });

/**
 * A dimension value: letters, digits and `._-` kept, anything else `_`, at most 255 characters —
 * never a path (no `/`), whatever a profile's name says.
 */
export function dimensionValue(text: string | undefined): string {
  const v = (text ?? '').replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 255);
  return v || 'unknown';
}

export function metricDimensions(env: NodeJS.ProcessEnv, tier: Tier, profile: string): MetricDimensions {
  return { FunctionName: dimensionValue(env.AWS_LAMBDA_FUNCTION_NAME), Tier: tier, Profile: dimensionValue(profile) };
}

/**
 * What one audit event adds to its invocation's tally. A violation is a call the profile refuses
 * (denied or killed, or in audit mode what would have been); a logged call or a path hidden from the
 * profile's view is none. Refusals, Kills and MonitorKills count what was enforced: a kill in the
 * runtime tier is the process monitor's.
 */
export function tallyEvent(t: Tally, e: AuditEvent): void {
  if (e.decision === 'log' || e.hidden) return;
  t.Violations++;
  if (!e.enforced) return;
  if (e.decision === 'deny') t.Refusals++;
  else if (e.tier === 'runtime') t.MonitorKills++;
  else t.Kills++;
}

export function emfRecord(d: MetricDimensions, tally: Tally, time: number, requestId?: string): EmfRecord {
  return {
    _aws: {
      Timestamp: time,
      CloudWatchMetrics: [{
        Namespace: METRIC_NAMESPACE,
        Dimensions: [['FunctionName'], ['FunctionName', 'Tier', 'Profile']],
        Metrics: METRIC_NAMES.map((Name) => ({ Name, Unit: 'Count' as const })),
      }],
    },
    ...d,
    ...tally,
    ...(requestId ? { requestId } : {}),
  };
}

/** Request ids whose record is written, remembered so that a late event never makes a second one. */
const CLOSED_KEPT = 64;

/**
 * The tallies of the invocations in progress (and of the time outside any invocation: init, or
 * between two), each written once as one record when its invocation ends.
 */
export class InvocationMetrics {
  /** Open tallies, with the time of what opened each: its record's Timestamp (the time outside invocations may be written hours later, after a freeze). */
  private readonly open = new Map<string, { readonly tally: Tally; readonly since: number }>();
  private readonly closed: string[] = [];

  constructor(
    private readonly dims: MetricDimensions,
    private readonly write: (record: EmfRecord, requestId?: string) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** An audit event of the invocation `requestId` (none: outside any invocation). */
  event(e: AuditEvent, requestId?: string): void {
    tallyEvent(this.tally(requestId), e);
  }

  /** The handler is restarted (after `requestId`'s invocation failed, or outside any). */
  restart(requestId?: string): void {
    this.tally(requestId).Restarts++;
  }

  /** `requestId`'s invocation is over: its record, when it broke anything or was restarted. */
  end(requestId?: string): void {
    const key = requestId ?? '';
    const o = this.open.get(key);
    this.open.delete(key);
    if (requestId) {
      this.closed.push(requestId);
      if (this.closed.length > CLOSED_KEPT) this.closed.shift();
    }
    if (o && (o.tally.Violations > 0 || o.tally.Restarts > 0)) this.write(emfRecord(this.dims, o.tally, o.since, requestId), requestId);
  }

  /** Every tally still open (the bootstrap is ending). */
  endAll(): void {
    for (const key of [...this.open.keys()]) this.end(key || undefined);
  }

  /** A late event of an invocation already written goes to the time outside invocations. */
  private tally(requestId: string | undefined): Tally {
    const key = requestId && !this.closed.includes(requestId) ? requestId : '';
    const o = this.open.get(key) ?? this.open.set(key, { tally: zero(), since: this.now() }).get(key)!;
    return o.tally;
  }
}
