// Shared by bench:eventstore, bench:mongo and bench:ingest: the same workload against servers started
// `--insecure` and with their defaults (event store: TLS + admin user; MongoDB: SCRAM-SHA-256), in alternating
// rounds (insecure first in even rounds, secure first in odd ones) so that other work on the shared cores hits
// both modes alike. Each round also records how much of the machine other processes used meanwhile.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { cpuMsOf, machineBusyMs } from './cpu';

export type Mode = 'insecure' | 'secure';

/** Issue 9's target: TLS and authentication cost under 15 % of the throughput. */
export const TARGET_COST_PERCENT = 15;

/** A process that has exited counts no more CPU. */
function cpuMsOrZero(pid: number): number {
  try {
    return cpuMsOf(pid);
  } catch {
    return 0;
  }
}

/** Runs `run` and returns its result with the share of the machine (all cores) used by processes other than `pids`. */
export async function withOtherCpuShare<T>(
  pids: number[],
  run: () => Promise<T>,
): Promise<{ result: T; otherCpuShare: number; cpuMsByPid: number[] }> {
  const ours = () => pids.map(cpuMsOrZero);
  const before = ours();
  const machine = machineBusyMs();
  const wallStarted = Date.now();
  const result = await run();
  const after = ours();
  const spent = after.map((ms, i) => ms - before[i]);
  const capacityMs = Math.max(1, (Date.now() - wallStarted) * cpus().length);
  const otherMs = machineBusyMs() - machine - spent.reduce((sum, ms) => sum + ms, 0);
  return { result, otherCpuShare: Math.max(0, otherMs / capacityMs), cpuMsByPid: spent };
}

export interface RoundFigure {
  mode: Mode;
  round: number;
  value: number;
  otherCpuShare: number;
  /** CPU time of the processes named by the benchmark (e.g. client, server, api), per unit of work, in µs. */
  cpuUsPerUnit?: Record<string, number>;
}

export interface Comparison {
  metric: string;
  unit: string;
  insecure: { median: number; rounds: number[] };
  secure: { median: number; rounds: number[] };
  /** (1 - secure / insecure) × 100 on the medians; negative when secure came out faster (noise). */
  costPercent: number;
  /** null for rows the target does not apply to (e.g. a new connection's handshake). */
  targetPercent: number | null;
  withinTarget: boolean | null;
  /** Medians of CPU per unit of work, by process, per mode. */
  cpuUsPerUnit?: Record<Mode, Record<string, number>>;
  otherCpuShareMean: number;
  otherCpuShareMax: number;
  rounds: RoundFigure[];
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export interface RoundResult {
  /** Units of work done (events, ops, touchpoints) and the seconds they took. */
  units: number;
  seconds: number;
}

/**
 * Alternates `rounds` rounds of `run` in both modes and compares throughput (units per second).
 * `pids(mode)` names the processes whose CPU is ours (this one and that mode's servers).
 */
export async function compareModes(
  metric: string,
  unit: string,
  rounds: number,
  pids: (mode: Mode) => Record<string, number>,
  run: (mode: Mode, round: number) => Promise<RoundResult>,
  options: { informational?: boolean } = {},
): Promise<Comparison> {
  const figures: RoundFigure[] = [];
  for (let round = 0; round < rounds; round++) {
    const order: Mode[] = round % 2 === 0 ? ['insecure', 'secure'] : ['secure', 'insecure'];
    for (const mode of order) {
      const named = pids(mode);
      const names = Object.keys(named);
      const { result, otherCpuShare, cpuMsByPid } = await withOtherCpuShare(
        names.map((name) => named[name]),
        () => run(mode, round),
      );
      const cpuUsPerUnit: Record<string, number> = {};
      names.forEach((name, i) => {
        cpuUsPerUnit[name] = round2((cpuMsByPid[i] * 1000) / result.units);
      });
      figures.push({
        mode,
        round,
        value: result.units / result.seconds,
        otherCpuShare: round3(otherCpuShare),
        cpuUsPerUnit,
      });
      console.log(
        `  ${metric} [${mode}] round ${round + 1}/${rounds}: ${Math.round(result.units / result.seconds)} ${unit} (others ${(otherCpuShare * 100).toFixed(0)}%)`,
      );
    }
  }
  const of = (mode: Mode) => figures.filter((f) => f.mode === mode);
  const insecure = median(of('insecure').map((f) => f.value));
  const secure = median(of('secure').map((f) => f.value));
  const costPercent = (1 - secure / insecure) * 100;
  const cpuMedians = (mode: Mode): Record<string, number> => {
    const out: Record<string, number> = {};
    for (const name of Object.keys(of(mode)[0]?.cpuUsPerUnit ?? {})) {
      out[name] = round2(median(of(mode).map((f) => f.cpuUsPerUnit![name])));
    }
    return out;
  };
  const shares = figures.map((f) => f.otherCpuShare);
  return {
    metric,
    unit,
    insecure: {
      median: Math.round(insecure),
      rounds: of('insecure').map((f) => Math.round(f.value)),
    },
    secure: { median: Math.round(secure), rounds: of('secure').map((f) => Math.round(f.value)) },
    costPercent: round2(costPercent),
    targetPercent: options.informational ? null : TARGET_COST_PERCENT,
    withinTarget: options.informational ? null : costPercent < TARGET_COST_PERCENT,
    cpuUsPerUnit: { insecure: cpuMedians('insecure'), secure: cpuMedians('secure') },
    otherCpuShareMean: round3(shares.reduce((sum, s) => sum + s, 0) / Math.max(1, shares.length)),
    otherCpuShareMax: round3(Math.max(0, ...shares)),
    rounds: figures,
  };
}

export function printComparisons(title: string, comparisons: Comparison[]): void {
  console.log(`\n${title}: --insecure vs secure (TLS/auth), medians of alternating rounds`);
  console.table(
    comparisons.map((c) => ({
      metric: c.metric,
      unit: c.unit,
      insecure: c.insecure.median,
      secure: c.secure.median,
      'cost %': c.costPercent.toFixed(1),
      [`< ${TARGET_COST_PERCENT} %`]:
        c.withinTarget === null ? '(n/a)' : c.withinTarget ? 'yes' : 'NO',
      'others % (mean/max)': `${(c.otherCpuShareMean * 100).toFixed(0)}/${(c.otherCpuShareMax * 100).toFixed(0)}`,
    })),
  );
}

/** The header every `tlsCost` section carries: when, how loaded, and in which mode the other rows ran. */
export function tlsCostHeader(extra: Record<string, unknown>): Record<string, unknown> {
  return {
    date: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    loadAverageAtStart: loadavg().map(round2),
    ...extra,
  };
}

/**
 * Writes `section` under `key` into the results file, keeping every other figure already in it (a quick run
 * of only the comparison must not wipe figures it did not re-measure).
 */
export function mergeIntoResults(file: string, key: string, section: unknown): void {
  const existing = existsSync(file)
    ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>)
    : {};
  existing[key] = section;
  writeFileSync(file, `${JSON.stringify(existing, null, 2)}\n`);
}

const round2 = (n: number) => Math.round(n * 100) / 100;
const round3 = (n: number) => Math.round(n * 1000) / 1000;
