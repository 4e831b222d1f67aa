import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { EMBEDDED_EVENTSTORE_NODE_FLAGS } from '@app/embedded-eventstore';
import { EMBEDDED_MONGO_NODE_FLAGS } from '@app/embedded-mongo';
import { READ_MODEL_NODE_FLAGS } from '@app/read-models';

/** Where the built entry points are, relative to this file, in dist/ or (under the TS hook) in the sources. */
const ROOT = resolve(__dirname, '..', '..', '..');
const RUNNING_FROM_SOURCE = __filename.endsWith('.ts');

/** The V8 flags each project's process is started with (see each constant for why). */
const NODE_FLAGS: Readonly<Record<string, readonly string[]>> = {
  'libs/embedded-eventstore': EMBEDDED_EVENTSTORE_NODE_FLAGS,
  'libs/embedded-mongo': EMBEDDED_MONGO_NODE_FLAGS,
  'apps/api': READ_MODEL_NODE_FLAGS,
  'apps/projector': READ_MODEL_NODE_FLAGS,
};

export function entryPoint(project: string): { command: string; args: string[] } {
  const nodeFlags = NODE_FLAGS[project] ?? [];
  const relative = `${project}/src/${project.startsWith('libs/') ? 'cli' : 'main'}`;
  if (RUNNING_FROM_SOURCE) {
    return {
      command: process.execPath,
      args: [
        ...nodeFlags,
        '-r',
        join(ROOT, 'scripts', 'register-ts.js'),
        join(ROOT, `${relative}.ts`),
      ],
    };
  }
  const file = join(ROOT, `${relative}.js`);
  if (!existsSync(file)) throw new Error(`${file} is missing: run npm run build first`);
  return { command: process.execPath, args: [...nodeFlags, file] };
}

/** Connection strings with the password masked: passwords appear in no log line. */
export function redact(line: string): string {
  return line.replace(/((?:esdb|mongodb)(?:\+\w+)?:\/\/[^:/@\s]+):[^@\s/]+@/g, '$1:***@');
}

export interface Child {
  name: string;
  process: ChildProcess;
  exited: Promise<number | null>;
}

/** Starts a child whose output lines are printed with its name, and resolves the first line matching `ready`. */
export function startChild(
  name: string,
  project: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  ready: RegExp,
  options: { timeoutMs?: number } = {},
): Promise<{ child: Child; match: RegExpMatchArray }> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const entry = entryPoint(project);
  const proc = spawn(entry.command, [...entry.args, ...args], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((done) => proc.once('exit', (code) => done(code)));
  const child: Child = { name, process: proc, exited };
  return new Promise((resolveReady, rejectReady) => {
    let settled = false;
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      proc.kill('SIGTERM');
      rejectReady(new Error(`${name} did not become ready within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    const onLine = (line: string) => {
      console.log(`[${name}] ${redact(line)}`);
      const match = line.match(ready);
      if (match && !settled) {
        settled = true;
        clearTimeout(timer);
        resolveReady({ child, match });
      }
    };
    createInterface({ input: proc.stdout }).on('line', onLine);
    createInterface({ input: proc.stderr }).on('line', onLine);
    void exited.then((code) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      rejectReady(new Error(`${name} exited with code ${code} before it was ready`));
    });
  });
}

/** Asks a child to stop, and kills it if it has not within the grace period. */
export async function stopChild(child: Child, graceMs = 10_000): Promise<void> {
  if (child.process.exitCode !== null || child.process.signalCode !== null) return;
  child.process.kill('SIGTERM');
  const timer = setTimeout(() => child.process.kill('SIGKILL'), graceMs);
  await child.exited;
  clearTimeout(timer);
}
