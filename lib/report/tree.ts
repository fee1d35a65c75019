// The process tree of one invocation, from what its events say: each event names its process
// (pid, ppid, exe) and a refused exec names the program it tried to start (argv). Bounded: at
// most MAX_PROCESSES processes and MAX_EXECS refused programs per process are kept; the rest is
// counted.
import type { AuditEvent } from '../audit/event.js';

export const MAX_PROCESSES = 64;
export const MAX_EXECS = 4;

export interface ProcNode {
  readonly pid: number;
  ppid?: number;
  exe?: string;
  events: number;
  refused: number;
  /** Programs it was refused (argv), the first MAX_EXECS. */
  readonly execs: string[][];
  moreExecs: number;
}

export interface TreeView {
  readonly node: ProcNode;
  readonly children: TreeView[];
}

export class ProcTree {
  readonly nodes = new Map<number, ProcNode>();
  /** Events of processes past the cap. */
  droppedEvents = 0;
  droppedPids = 0;
  private readonly dropped = new Set<number>();

  add(e: AuditEvent): void {
    let n = this.nodes.get(e.pid);
    if (!n) {
      if (this.nodes.size >= MAX_PROCESSES) {
        this.droppedEvents++;
        // A small set (bounded too): only to count distinct pids left out.
        if (this.dropped.size < 4 * MAX_PROCESSES && !this.dropped.has(e.pid)) {
          this.dropped.add(e.pid);
          this.droppedPids++;
        }
        return;
      }
      n = { pid: e.pid, events: 0, refused: 0, execs: [], moreExecs: 0 };
      this.nodes.set(e.pid, n);
    }
    n.events++;
    if (e.decision !== 'log' && !e.hidden) n.refused++;
    if (e.ppid !== undefined) n.ppid = e.ppid;
    if (e.exe !== undefined && e.access !== 'exec') n.exe = e.exe;
    else if (e.exe !== undefined) n.exe ??= e.exe;
    if (e.argv) {
      if (n.execs.length < MAX_EXECS) n.execs.push(e.argv.slice(0, 16).map((a) => a.slice(0, 256)));
      else n.moreExecs++;
    }
  }

  /** Roots first (a process whose parent is not in the tree); a loop of ppids cannot hang it. */
  view(): TreeView[] {
    const kids = new Map<number, ProcNode[]>();
    for (const n of this.nodes.values()) {
      if (n.ppid !== undefined && n.ppid !== n.pid && this.nodes.has(n.ppid)) {
        const list = kids.get(n.ppid) ?? kids.set(n.ppid, []).get(n.ppid)!;
        list.push(n);
      }
    }
    const seen = new Set<number>();
    const build = (n: ProcNode): TreeView => {
      seen.add(n.pid);
      return { node: n, children: (kids.get(n.pid) ?? []).filter((c) => !seen.has(c.pid)).sort((a, b) => a.pid - b.pid).map(build) };
    };
    const roots = [...this.nodes.values()].filter((n) => n.ppid === undefined || n.ppid === n.pid || !this.nodes.has(n.ppid)).sort((a, b) => a.pid - b.pid);
    // Roots with the same parent that had no event of its own: under that parent, shown as such.
    const out: TreeView[] = [];
    const parents = new Map<number, TreeView>();
    for (const r of roots) {
      const v = build(r);
      if (r.ppid === undefined || r.ppid === r.pid) {
        out.push(v);
        continue;
      }
      let p = parents.get(r.ppid);
      if (!p) {
        p = { node: { pid: r.ppid, events: 0, refused: 0, execs: [], moreExecs: 0 }, children: [] };
        parents.set(r.ppid, p);
        out.push(p);
      }
      p.children.push(v);
    }
    // Processes only reachable through a loop of parents: shown at the top level.
    for (const n of [...this.nodes.values()].sort((a, b) => a.pid - b.pid)) if (!seen.has(n.pid)) out.push(build(n));
    return out;
  }
}
