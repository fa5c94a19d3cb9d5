/** A failure that will happen again if retried: bad input, missing permission, a conflict with someone's repository. */
export class PermanentError extends Error {
  override name = "PermanentError";
  constructor(
    message: string,
    /** What a person should do about it, shown in the status and the issue comment. */
    readonly hint?: string,
  ) {
    super(message);
  }
}

/** A failure worth retrying later: network trouble, 5xx, rate limits. */
export class RetryableError extends Error {
  override name = "RetryableError";
  constructor(
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** The job was cancelled (issue closed, label removed) or lost its lease. */
export class CancelledError extends Error {
  override name = "CancelledError";
}

const RETRYABLE_CODES = new Set(["ECONNRESET", "ECONNREFUSED", "ETIMEDOUT", "EAI_AGAIN", "EPIPE", "UND_ERR_SOCKET", "UND_ERR_CONNECT_TIMEOUT"]);

/**
 * Decides whether the queue should retry an error. HTTP errors (Octokit's RequestError, the openai SDK's
 * APIError) carry a status: 408, 429 and 5xx are retryable, other 4xx are not; network errors are retryable.
 */
export function isRetryable(error: unknown): boolean {
  if (error instanceof PermanentError || error instanceof CancelledError) return false;
  if (error instanceof RetryableError) return true;
  if (typeof error !== "object" || error === null) return false;
  const e = error as { status?: unknown; code?: unknown; cause?: unknown; name?: unknown };
  if (typeof e.status === "number") {
    if (e.status === 403 && /rate limit/i.test(String((error as Error).message))) return true;
    return e.status === 408 || e.status === 429 || e.status >= 500;
  }
  if (typeof e.code === "string" && RETRYABLE_CODES.has(e.code)) return true;
  if (e.name === "APIConnectionError" || e.name === "APIConnectionTimeoutError" || e.name === "AbortError") return true;
  if (e.cause) return isRetryable(e.cause);
  return error instanceof TypeError && /fetch failed/i.test(error.message);
}

/** A message fit for a person: the error's own message, without stacks. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message.split("\n")[0]!.slice(0, 500);
  return String(error).slice(0, 500);
}
