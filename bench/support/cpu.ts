import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';

// CPU time from /proc: contention on the shared cores changes throughput a lot between runs, CPU time per unit of
// work much less, and the machine's busy time tells how much other processes used meanwhile.
const CLOCK_TICKS_PER_SECOND = 100;

/** CPU time (user + system) a process has used, in ms. */
export function cpuMsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
}

/** Busy CPU time of the whole machine (every core, idle and iowait excluded), in ms. */
export function machineBusyMs(): number {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1);
  const [user, nice, system, _idle, _iowait, irq, softirq, steal] = fields.map(Number);
  return ((user + nice + system + irq + softirq + (steal ?? 0)) * 1000) / CLOCK_TICKS_PER_SECOND;
}

/** Resident memory of a process, in bytes. */
export function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
}

export interface CpuUse {
  /** CPU µs per event of each named process over the phase (`bench`: the calling process). */
  usPerEvent: Record<string, number>;
  /** Share of the machine (all cores) used by processes other than ours meanwhile. */
  otherCpuShare: number;
}

const round = (n: number, digits: number) => Math.round(n * 10 ** digits) / 10 ** digits;

/** Runs a phase and reports the CPU each of `pids` (and this process, `bench`) spent per event. */
export async function withCpu<T>(
  pids: Record<string, number>,
  run: () => Promise<T & { events: number }>,
): Promise<T & { events: number; cpu: CpuUse }> {
  const before = Object.fromEntries(
    Object.entries(pids).map(([name, pid]) => [name, cpuMsOf(pid)]),
  );
  const own = process.cpuUsage();
  const machine = machineBusyMs();
  const started = Date.now();
  const result = await run();
  const ownUsage = process.cpuUsage(own);
  const spent: Record<string, number> = { bench: (ownUsage.user + ownUsage.system) / 1000 };
  for (const [name, pid] of Object.entries(pids)) spent[name] = cpuMsOf(pid) - before[name];
  const ours = Object.values(spent).reduce((sum, ms) => sum + ms, 0);
  const capacityMs = Math.max(1, (Date.now() - started) * cpus().length);
  return {
    ...result,
    cpu: {
      usPerEvent: Object.fromEntries(
        Object.entries(spent).map(([name, ms]) => [name, round((ms * 1000) / result.events, 1)]),
      ),
      otherCpuShare: round(Math.max(0, (machineBusyMs() - machine - ours) / capacityMs), 3),
    },
  };
}
