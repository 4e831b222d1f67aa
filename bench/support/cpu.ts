import { readFileSync } from 'node:fs';

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
