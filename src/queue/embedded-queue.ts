import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import type { BriefStore } from "../store/brief-store.js";
import { CancelledError, describeError, isRetryable } from "../pipeline/errors.js";
import type { JobQueue, JobWorker } from "./job-queue.js";

export interface EmbeddedQueueOptions {
  concurrency: number;
  leaseMs: number;
  maxAttempts: number;
  pollMs?: number;
  /** Delay before retry n (1-based). */
  backoffMs?: (attempt: number) => number;
}

/**
 * The default queue: jobs live in the SQLite store. A runner claims a job with a lease it keeps renewing;
 * when the process dies (kill -9), the lease expires and the next start takes the job over from its last
 * step checkpoint. Leases also keep two processes sharing one DATA_DIR from running a job twice at once.
 */
export class EmbeddedQueue implements JobQueue {
  readonly kind = "embedded";
  private readonly owner = `runner-${randomUUID().slice(0, 8)}`;
  private readonly running = new Map<string, { controller: AbortController; done: Promise<void> }>();
  private worker: JobWorker | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopped = true;

  constructor(
    private readonly store: BriefStore,
    private readonly log: Logger,
    private readonly options: EmbeddedQueueOptions,
  ) {}

  async enqueue(briefId: string): Promise<void> {
    const job = this.store.getJob(briefId);
    if (job && job.state !== "queued" && job.state !== "running") this.store.requeueJob(briefId, 0, null, true);
    this.pump();
  }

  start(worker: JobWorker): void {
    this.worker = worker;
    this.stopped = false;
    this.timer = setInterval(() => this.pump(), this.options.pollMs ?? 250);
    this.timer.unref();
    this.pump();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const { controller } of this.running.values()) controller.abort(new CancelledError("the server is shutting down"));
    await Promise.allSettled([...this.running.values()].map((r) => r.done));
  }

  abort(briefId: string): void {
    if (!this.store.cancelQueuedJob(briefId)) this.running.get(briefId)?.controller.abort(new CancelledError("cancelled"));
  }

  health() {
    return { kind: this.kind, ok: true, running: this.running.size, concurrency: this.options.concurrency, jobs: this.store.countJobs() };
  }

  private pump(): void {
    if (this.stopped || !this.worker) return;
    while (this.running.size < this.options.concurrency) {
      const job = this.store.claimNextJob(this.owner, this.options.leaseMs);
      if (!job) return;
      this.run(job.briefId, job.attempts);
    }
  }

  private run(briefId: string, attempt: number): void {
    const controller = new AbortController();
    const log = this.log.child({ briefId, attempt });
    const heartbeat = setInterval(() => {
      if (!this.store.renewLease(briefId, this.owner, this.options.leaseMs)) {
        controller.abort(new CancelledError("lease lost to another runner"));
      }
    }, Math.max(50, Math.floor(this.options.leaseMs / 3)));
    heartbeat.unref();
    const done = (async () => {
      try {
        await this.worker!(briefId, { signal: controller.signal, attempt, finalAttempt: attempt >= this.options.maxAttempts });
        this.store.finishJob(briefId, this.owner, "succeeded");
      } catch (error) {
        this.settleFailure(briefId, attempt, error, controller.signal, log);
      } finally {
        clearInterval(heartbeat);
        this.running.delete(briefId);
        queueMicrotask(() => this.pump());
      }
    })();
    this.running.set(briefId, { controller, done });
  }

  private settleFailure(briefId: string, attempt: number, error: unknown, signal: AbortSignal, log: Logger): void {
    const message = describeError(error);
    if (signal.aborted && this.stopped) {
      // Shutting down: leave the job to the next start, from its checkpoint.
      this.store.requeueJob(briefId, 0, null);
      log.info("job interrupted by shutdown; it resumes on the next start");
      return;
    }
    if (error instanceof CancelledError) {
      this.store.finishJob(briefId, this.owner, "cancelled", message);
      this.store.appendEvent(briefId, "cancelled", { reason: message });
      return;
    }
    if (isRetryable(error) && attempt < this.options.maxAttempts) {
      const delay = (this.options.backoffMs ?? defaultBackoff)(attempt);
      this.store.requeueJob(briefId, delay, message);
      this.store.appendEvent(briefId, "retrying", { attempt, delay_ms: delay, error: message });
      log.warn({ err: error, delayMs: delay }, "job failed with a retryable error; retrying");
      return;
    }
    this.store.finishJob(briefId, this.owner, "failed", message);
    this.store.appendEvent(briefId, "failed", { error: message });
    log.error({ err: error }, "job failed");
  }
}

function defaultBackoff(attempt: number): number {
  return Math.min(60_000, 2_000 * 2 ** (attempt - 1));
}
