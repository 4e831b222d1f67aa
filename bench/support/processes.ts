import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { EMBEDDED_EVENTSTORE_NODE_FLAGS } from '@app/embedded-eventstore';
import { EMBEDDED_MONGO_NODE_FLAGS } from '@app/embedded-mongo';
import { READ_MODEL_NODE_FLAGS } from '@app/read-models';

const ROOT = join(__dirname, '..', '..');

export interface Started {
  child: ChildProcess;
  /** The first output line matching `ready`. */
  match: RegExpMatchArray;
  /** The next output line matching `pattern`. */
  waitFor(pattern: RegExp): Promise<string>;
}

const stopping = new WeakSet<ChildProcess>();

/** Node flags each entry point gets, as the launcher starts it. */
const NODE_FLAGS: Readonly<Record<string, readonly string[]>> = {
  'libs/embedded-mongo/src/cli.ts': EMBEDDED_MONGO_NODE_FLAGS,
  'libs/embedded-eventstore/src/cli.ts': EMBEDDED_EVENTSTORE_NODE_FLAGS,
  'apps/api/src/main.ts': READ_MODEL_NODE_FLAGS,
  'bench/support/baseline-api.main.ts': READ_MODEL_NODE_FLAGS,
  'apps/projector/src/main.ts': READ_MODEL_NODE_FLAGS,
};

/**
 * Runs one of the project's TypeScript entry points in a child process and resolves when a line of its output
 * matches `ready`. A process that exits before that rejects with its last output; one that exits later without being
 * stopped is reported on stderr with its last lines, so a benchmark that then fails says which server died and how.
 * Every line also goes to a log file in the temp directory (named on stderr at start), for failures found later.
 * `root` is the checkout the script runs from (another one to compare with an earlier version).
 */
export function startProcess(
  script: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  ready: RegExp,
  nodeArgs: string[] = [],
  root = ROOT,
): Promise<Started> {
  const child = spawn(
    process.execPath,
    [
      ...(NODE_FLAGS[script] ?? []),
      ...nodeArgs,
      // e.g. BENCH_CHILD_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to see where every child spends its time
      ...(process.env.BENCH_CHILD_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
      '-r',
      join(root, 'scripts/register-ts.js'),
      join(root, script),
      ...args,
    ],
    { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const logPath = join(tmpdir(), `crm-bench-${script.replace(/\W+/g, '-')}-${child.pid}.log`);
  const log = createWriteStream(logPath);
  process.stderr.write(`${script}: output in ${logPath}\n`);
  const watchers = new Set<(line: string) => void>();
  const waitFor = (pattern: RegExp) =>
    new Promise<string>((resolve) => {
      const watcher = (line: string) => {
        if (!pattern.test(line)) return;
        watchers.delete(watcher);
        resolve(line);
      };
      watchers.add(watcher);
    });
  return new Promise((resolve, reject) => {
    const lines: string[] = [];
    let resolved = false;
    const onLine = (line: string) => {
      lines.push(line);
      log.write(`${new Date().toISOString()} ${line}\n`);
      if (lines.length > 200) lines.shift();
      for (const watcher of [...watchers]) watcher(line);
      const match = resolved ? null : stripColours(line).match(ready);
      if (match) {
        resolved = true;
        resolve({ child, match, waitFor });
      }
    };
    createInterface({ input: child.stdout }).on('line', onLine);
    createInterface({ input: child.stderr }).on('line', onLine);
    child.once('exit', (code, signal) => {
      log.end(`${new Date().toISOString()} exited (code ${code}, signal ${signal})\n`);
      if (!resolved) reject(new Error(`${script} exited (${code}):\n${lines.join('\n')}`));
      else if (!stopping.has(child)) {
        process.stderr.write(
          `${script} exited unexpectedly (code ${code}, signal ${signal}):\n${lines.slice(-20).join('\n')}\n`,
        );
      }
    });
  });
}

/** SIGTERM, resolved once the process has exited. */
export function stop(child: ChildProcess): Promise<void> {
  stopping.add(child);
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

const ESC = String.fromCharCode(27);

/** A log line without its ANSI colour codes (Nest's logger colours its output). */
export function stripColours(line: string): string {
  return line
    .split(ESC)
    .map((part, i) => (i === 0 ? part : part.replace(/^\[[0-9;]*m/, '')))
    .join('');
}
