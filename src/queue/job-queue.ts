export interface JobRun {
  signal: AbortSignal;
  /** 1 for the first run. */
  attempt: number;
  /** True when a failure now will not be retried, so the worker should report it. */
  finalAttempt: boolean;
}

/** Runs one brief's job; throws to fail it (the queue retries retryable errors). */
export type JobWorker = (briefId: string, run: JobRun) => Promise<void>;

/**
 * Where accepted briefs wait for a runner. The embedded queue keeps jobs in the SQLite store; a Redis-backed
 * queue can take its place for several processes. Briefs are stored before they are enqueued.
 */
export interface JobQueue {
  readonly kind: string;
  /** Tells the queue a stored brief is ready to run (or to run again). */
  enqueue(briefId: string): Promise<void>;
  /** Starts taking jobs. */
  start(worker: JobWorker): void;
  /** Stops taking jobs and waits for running ones to settle or abort. */
  stop(): Promise<void>;
  /** Asks a running job to stop (cancellation); a queued job is cancelled in the store. */
  abort(briefId: string): void;
  health(): { kind: string; ok: boolean; [key: string]: unknown };
}
