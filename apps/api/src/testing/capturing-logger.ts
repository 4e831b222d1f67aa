import type { LoggerService } from '@nestjs/common';

/** Keeps the warnings and errors logged (install it with Logger.overrideLogger), so a test can count them. */
export class CapturingLogger implements LoggerService {
  readonly warnings: string[] = [];
  readonly errors: string[] = [];
  log() {}
  warn(message: unknown) {
    this.warnings.push(String(message));
  }
  error(message: unknown) {
    this.errors.push(String(message));
  }
}
