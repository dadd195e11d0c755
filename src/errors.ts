export type TraceErrorCode =
  | 'NOT_A_REPOSITORY'
  | 'NOT_INITIALISED'
  | 'BAD_CONFIG'
  | 'BAD_INPUT'
  | 'BAD_ARGUMENT'
  | 'GIT_FAILED'
  | 'STORE_FAILED'
  | 'SIGNING_FAILED'
  | 'REDACTION_FAILED'
  | 'UPLOAD_FAILED'
  | 'VERIFY_FAILED'
  | 'UNSUPPORTED';

/** The one error class of trace: a code to branch on, a message for people, and the cause. */
export class TraceError extends Error {
  override readonly name = 'TraceError';
  readonly code: TraceErrorCode;
  /** A command or step that fixes the problem, shown under the message. */
  readonly hint: string | undefined;

  constructor(code: TraceErrorCode, message: string, options: { cause?: unknown; hint?: string } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.hint = options.hint;
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
