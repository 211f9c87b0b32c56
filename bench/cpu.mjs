// CPU accounting for the benchmarks, from /proc (Linux): a process's or a
// thread's CPU seconds, and what this process's Chromium (its descendants)
// used while something ran, split into the renderer's worker threads, its
// main thread (the page) and the rest. In: pids. Out: seconds.
import { readdirSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const TICK_S = 1 / Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim() || 100);

/** CPU seconds (user, system) of `pid` from /proc, or of this process's waited-for children with `children`. */
export function cpuSeconds(pid, { children = false } = {}) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  const at = children ? 13 : 11; // cutime/cstime (fields 16, 17) or utime/stime (14, 15)
  return { user: Number(fields[at]) * TICK_S, sys: Number(fields[at + 1]) * TICK_S };
}

/** CPU seconds (user, system) of `task`, a /proc path (`PID` or `PID/task/TID`), or zeros once it is gone. */
function taskTimes(task) {
  try {
    const st = readFileSync(`/proc/${task}/stat`, 'utf8');
    const fields = st.slice(st.lastIndexOf(') ') + 2).split(' ');
    return { user: Number(fields[11]) * TICK_S, sys: Number(fields[12]) * TICK_S };
  } catch {
    return { user: 0, sys: 0 };
  }
}

/** CPU seconds (user + system) of `task`, a /proc path (`PID` or `PID/task/TID`), or 0 once it is gone. */
export function taskCpu(task) {
  const { user, sys } = taskTimes(task);
  return user + sys;
}

/**
 * CPU seconds so far of this process's Chromium (its descendants): per
 * renderer thread (`page` the renderer's main thread, `workers` by
 * thread id: the app's Web Workers, with `workersSys` their kernel
 * time) and `all` for every process.
 */
function chromiumCpu() {
  const parent = new Map();
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const st = readFileSync(`/proc/${pid}/stat`, 'utf8');
      parent.set(pid, st.slice(st.lastIndexOf(') ') + 2).split(' ')[1]);
    } catch {}
  }
  const mine = (pid) => {
    for (let p = pid; p && p !== '0' && p !== '1'; p = parent.get(p)) if (p === String(process.pid)) return pid !== String(process.pid);
    return false;
  };
  const out = { all: 0, page: 0, workers: {}, workersSys: {} };
  for (const pid of [...parent.keys()].filter(mine)) {
    out.all += taskCpu(pid);
    let cmdline = '';
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {}
    if (!cmdline.includes('--type=renderer')) continue;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const task = `${pid}/task/${tid}`;
      if (tid === pid) out.page += taskCpu(task);
      else if (readFileSync(`/proc/${task}/comm`, 'utf8').startsWith('DedicatedWorker')) {
        const { user, sys } = taskTimes(task);
        out.workers[tid] = user + sys;
        out.workersSys[tid] = sys;
      }
    }
  }
  return out;
}

/**
 * Samples chromiumCpu() every 200 ms until `stop()`, which returns the CPU
 * seconds used meanwhile: `hasher` (the busiest worker thread: the one
 * hashing a blob), `workers` (every other worker), `page`, `rest` (the
 * browser's other threads and processes), `registry`, and `workersSys`
 * (the kernel's share of every worker's: a pull's writes into the page
 * cache). Workers are sampled because they end with the pull.
 */
export function watchChromium(registryPid) {
  const start = chromiumCpu();
  const registry0 = registryPid ? taskCpu(registryPid) : 0;
  const workers = {};
  const workersSys = {};
  let last = start;
  const sample = () => {
    last = chromiumCpu();
    Object.assign(workers, last.workers);
    Object.assign(workersSys, last.workersSys);
  };
  const timer = setInterval(sample, 200);
  return () => {
    clearInterval(timer);
    sample();
    const used = Object.entries(workers).map(([tid, s]) => s - (start.workers[tid] ?? 0)).sort((a, b) => b - a);
    const hasher = used[0] ?? 0;
    const others = used.slice(1).reduce((a, b) => a + b, 0);
    const page = last.page - start.page;
    // A process's own figure keeps the CPU of its threads that ended.
    const rest = Math.max(last.all - start.all - hasher - others - page, 0);
    const sys = Object.entries(workersSys).reduce((a, [tid, s]) => a + s - (start.workersSys[tid] ?? 0), 0);
    return { hasher, workers: others, page, rest, registry: registryPid ? taskCpu(registryPid) - registry0 : 0, workersSys: sys };
  };
}
