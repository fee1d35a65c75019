// One emulated run of a runtime (lib/runtime/emulator.ts): its events handed out one at a time,
// each settled once — answered, failed, timed out — or all of them at once by an init error. The
// state machine alone, with no HTTP: the emulator's routes ask it what to do and tell it what
// happened. The clock is injected (deadlines, durations, the timeout timer).
import { randomUUID } from 'node:crypto';
import type { InvocationError } from './api-wire.js';

export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  /** Run `cb` after `ms`; returns a cancel function. */
  schedule(ms: number, cb: () => void): () => void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  schedule(ms, cb) {
    const t = setTimeout(cb, ms);
    t.unref();
    return () => clearTimeout(t);
  },
};

export type InvocationStatus = 'response' | 'error' | 'init-error' | 'timeout';

export interface InvocationResult {
  requestId: string;
  event: unknown;
  ok: boolean;
  status: InvocationStatus;
  /** The response bytes (for a streamed response that failed mid-stream: what arrived before the error). */
  body?: Buffer;
  error?: InvocationError;
  /** The normalized `Lambda-Runtime-Function-Error-Type` (Runtime.X / Function.X / *.Unknown), when the runtime sent one. */
  functionErrorType?: string;
  /** Request headers of the runtime's /response, /error or /init/error POST (lower-case names). */
  headers: Record<string, string>;
  /** HTTP trailers of a streamed response. */
  trailers?: Record<string, string>;
  streamed: boolean;
  durationMs: number;
  /** When /next handed this invocation out (the emulator's clock, ms). */
  handedOutAt: number;
}

/** How an invocation ended: its result without what the run knows of it. */
export type Settlement = Omit<InvocationResult, 'requestId' | 'event' | 'durationMs' | 'handedOutAt'>;

export interface Invoke {
  readonly index: number;
  readonly requestId: string;
  readonly event: unknown;
  readonly startedAt: number;
  readonly deadlineMs: number;
  cancelTimer: () => void;
  /** A /response or /error POST is being read. */
  answering: boolean;
  settled: boolean;
  timedOut: boolean;
}

export class EmulatedRun {
  /** Resolves when every event is settled, or at finish(). */
  readonly results: Promise<InvocationResult[]>;
  private resolveResults!: (r: InvocationResult[]) => void;
  private nextIndex = 0;
  private current: Invoke | undefined;
  private initDone = false;
  private finished = false;
  private readonly invokes = new Map<string, Invoke>();
  private readonly done: (InvocationResult | undefined)[];

  constructor(private readonly events: readonly unknown[], private readonly clock: Clock, private readonly timeoutMs: number) {
    this.done = new Array<InvocationResult | undefined>(events.length).fill(undefined);
    this.results = new Promise((resolve) => (this.resolveResults = resolve));
    if (events.length === 0) this.finish();
  }

  /** An invocation is handed out and not settled yet. */
  get busy(): boolean {
    return this.current !== undefined && !this.current.settled;
  }

  /** The run ended (an init error) with events never handed out. */
  get ended(): boolean {
    return this.finished && this.nextIndex < this.events.length;
  }

  get hasMore(): boolean {
    return this.nextIndex < this.events.length;
  }

  /** §4: init ends at the runtime's first /next; §1: an init error after that is refused. */
  endInit(): void {
    this.initDone = true;
  }

  get initOver(): boolean {
    return this.initDone || this.finished;
  }

  invoke(requestId: string): Invoke | undefined {
    return this.invokes.get(requestId);
  }

  /** The next event, handed out now; it times out after the function's timeout unless settled first. */
  handOut(): Invoke {
    const now = this.clock.now();
    const inv: Invoke = {
      index: this.nextIndex,
      requestId: randomUUID(),
      event: this.events[this.nextIndex++],
      startedAt: now,
      deadlineMs: now + this.timeoutMs,
      cancelTimer: () => {},
      answering: false,
      settled: false,
      timedOut: false,
    };
    inv.cancelTimer = this.clock.schedule(this.timeoutMs, () => {
      if (inv.settled) return;
      inv.timedOut = true;
      this.settle(inv, {
        ok: false,
        status: 'timeout',
        error: { errorType: 'Sandbox.Timedout', errorMessage: `Task timed out after ${(this.timeoutMs / 1000).toFixed(2)} seconds` },
        headers: {},
        streamed: false,
      });
    });
    this.invokes.set(inv.requestId, inv);
    this.current = inv;
    return inv;
  }

  settle(inv: Invoke, how: Settlement): void {
    inv.settled = true;
    inv.cancelTimer();
    if (this.current === inv) this.current = undefined;
    this.done[inv.index] = { requestId: inv.requestId, event: inv.event, durationMs: this.clock.now() - inv.startedAt, handedOutAt: inv.startedAt, ...how };
    if (this.done.every((r) => r !== undefined)) this.finish();
  }

  /**
   * OAS: "Error will be served in response to the first invoke." The emulator does not restart the
   * runtime, so the run ends here and every event is reported with the init error.
   */
  initError(error: InvocationError, headers: Record<string, string>, functionErrorType: string | undefined): void {
    for (let i = 0; i < this.events.length; i++) {
      this.done[i] = {
        requestId: randomUUID(),
        event: this.events[i],
        ok: false,
        status: 'init-error',
        error,
        handedOutAt: this.clock.now(), // never handed out: the init error answers it now
        ...(functionErrorType !== undefined ? { functionErrorType } : {}),
        headers,
        streamed: false,
        durationMs: 0,
      };
    }
    this.nextIndex = this.events.length;
    this.finish();
  }

  /** Ends the run: the results so far, timers cancelled. */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    for (const inv of this.invokes.values()) inv.cancelTimer();
    this.resolveResults(this.done.filter((r): r is InvocationResult => r !== undefined));
  }
}
