// Reading a process tree from /proc: its members and their CPU time, for load benchmarks.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** A process and its children (nginx workers). */
export function family(pid: number): number[] {
  try {
    return [pid, ...readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number)];
  } catch {
    return [pid];
  }
}

/** Clock ticks per second, the unit of /proc/PID/stat's CPU times. */
const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' })) || 100;
  } catch {
    return 100;
  }
})();

/** CPU time (user + system, every thread) of a process and its children so far, in µs; NaN when unreadable. */
export function cpuMicros(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    // Fields 14 and 15 (utime, stime) in clock ticks; the command name (field 2) may hold spaces.
    const ticks = family(pid).reduce((sum, p) => {
      const fields = readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return sum + Number(fields[11]) + Number(fields[12]);
    }, 0);
    return (ticks * 1e6) / CLOCK_TICKS;
  } catch {
    return NaN;
  }
}
