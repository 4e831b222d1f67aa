// Preloaded into a benchmark's child process (`-r`): on SIGUSR2 it collects garbage (with --expose-gc) and prints
// its memory as one line, so the benchmark can read the heap of a process it does not otherwise control.
process.on('SIGUSR2', () => {
  (globalThis as { gc?: () => void }).gc?.();
  process.stdout.write(`memory ${JSON.stringify(process.memoryUsage())}\n`);
});
