import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const ROOT = join(__dirname, '..', '..');

export interface ApiProcess {
  process: ChildProcess;
  url: string;
  /** Every line the process wrote to stdout and stderr. */
  output: string[];
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

/** The API as its own OS process (apps/api/src/main.ts from the sources), configured by `env`. */
export function startApiProcess(env: NodeJS.ProcessEnv): Promise<ApiProcess> {
  const child = spawn(
    process.execPath,
    ['-r', join(ROOT, 'scripts/register-ts.js'), join(ROOT, 'apps/api/src/main.ts')],
    {
      env: { ...process.env, PORT: '0', CRM_REVIEW_INTERVAL_MINUTES: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const output: string[] = [];
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  return new Promise((resolve, reject) => {
    const onLine = (line: string) => {
      output.push(line);
      const listening = /API listening on (http:\/\/\S+)/.exec(line);
      if (!listening) return;
      resolve({
        process: child,
        url: listening[1],
        output,
        exited,
        async stop() {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          await exited;
        },
      });
    };
    createInterface({ input: child.stdout }).on('line', onLine);
    createInterface({ input: child.stderr }).on('line', onLine);
    void exited.then((code) => reject(new Error(`API exited (${code}):\n${output.join('\n')}`)));
  });
}
