/**
 * The exit-code contract shared by every command (documented in the README).
 * Only src/cli.ts turns an error into a code; everything else throws.
 */
export const ExitCode = {
  OK: 0,
  FAILED: 1,
  USAGE: 2,
  NOT_FOUND: 3,
  AUTH: 4,
  REJECTED: 5,
  UNAVAILABLE: 6,
  TIMEOUT: 7,
  INTERRUPTED: 130,
  TERMINATED: 143,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** What a policy refusal means for the operator: most of what volmig does is admin-only in Cinder's default policy. */
export const ADMIN_ROLE_HINT = "This needs an admin role: Cinder's policy refused these credentials (use an admin's, see volmig help environment).";

/** An expected failure: printed as one line (plus an optional hint), never with a stack unless --debug. */
export class VolmigError extends Error {
  readonly exitCode: ExitCode;
  readonly hint?: string;
  constructor(message: string, exitCode: ExitCode, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.exitCode = exitCode;
    this.hint = options.hint;
  }
}

export class UsageError extends VolmigError {
  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, ExitCode.USAGE, options);
  }
}

export class NotFoundError extends VolmigError {
  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, ExitCode.NOT_FOUND, options);
  }
}

export class AuthError extends VolmigError {
  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, ExitCode.AUTH, options);
  }
}

export class UnavailableError extends VolmigError {
  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, ExitCode.UNAVAILABLE, options);
  }
}

export class TimeoutError extends VolmigError {
  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, ExitCode.TIMEOUT, options);
  }
}

export class InterruptedError extends VolmigError {
  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, ExitCode.INTERRUPTED, options);
  }
}

/**
 * Error whose message has already been printed by the command (e.g. a migration result with its explanation);
 * cli.ts only sets the exit code.
 */
export class ReportedError extends VolmigError {}
