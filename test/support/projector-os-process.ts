import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const ROOT = join(__dirname, '..', '..');

export interface ProjectorProcess {
  child: ChildProcess;
  output: string[];
  /** Exit code, -1 when killed by a signal. */
  exited: Promise<number | null>;
}

/**
 * A projector entry point (a path from the repository root, with its arguments) as its own OS process, run from the
 * sources; resolves once it prints `projector running`, rejects with its output if it exits before.
 */
export function startProjectorProcess(
  entry: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<ProjectorProcess> {
  const [script, ...args] = entry;
  const child = spawn(
    process.execPath,
    ['-r', join(ROOT, 'scripts/register-ts.js'), join(ROOT, script), ...args],
    { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const output: string[] = [];
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? (signal ? -1 : null))),
  );
  return new Promise((resolve, reject) => {
    const onLine = (line: string) => {
      output.push(line);
      if (line.includes('projector running')) resolve({ child, output, exited });
    };
    createInterface({ input: child.stdout }).on('line', onLine);
    createInterface({ input: child.stderr }).on('line', onLine);
    void exited.then((code) =>
      reject(new Error(`projector exited (${code}):\n${output.join('\n')}`)),
    );
  });
}
