import { join } from "node:path";
import { BriefStore } from "../../src/store/brief-store.js";
import { EmbeddedQueue } from "../../src/queue/embedded-queue.js";
import { PermanentError, RetryableError } from "../../src/pipeline/errors.js";
import { silentLog, tempDir } from "../helpers/test-env.js";

function newBrief(store: BriefStore, nonce: string) {
  return store.createBrief({
    source: "route", email: "a@b.co", task: "t", round: 1, nonce, brief: "b", checks: [], evaluationUrl: null, attachments: [], owner: null, issue: null,
  }).brief;
}

async function until(predicate: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe("EmbeddedQueue", () => {
  let store: BriefStore;
  beforeEach(() => {
    store = new BriefStore(join(tempDir(), "q.sqlite"));
  });
  afterEach(() => store.close());

  test("runs queued jobs and marks them succeeded", async () => {
    const brief = newBrief(store, "n1");
    const queue = new EmbeddedQueue(store, silentLog, { concurrency: 2, leaseMs: 1_000, maxAttempts: 3, pollMs: 10 });
    const seen: string[] = [];
    queue.start(async (id) => {
      seen.push(id);
    });
    await until(() => store.getJob(brief.id)?.state === "succeeded");
    await queue.stop();
    expect(seen).toEqual([brief.id]);
  });

  test("never runs more jobs at once than its concurrency", async () => {
    for (let i = 0; i < 6; i++) newBrief(store, `n${i}`);
    const queue = new EmbeddedQueue(store, silentLog, { concurrency: 2, leaseMs: 1_000, maxAttempts: 1, pollMs: 5 });
    let active = 0;
    let peak = 0;
    queue.start(async () => {
      active++;
      peak = Math.max(peak, active);
      await new Promise((r) => setTimeout(r, 30));
      active--;
    });
    await until(() => store.countJobs().succeeded === 6);
    await queue.stop();
    expect(peak).toBe(2);
  });

  test("retries a retryable error with backoff, then succeeds", async () => {
    const brief = newBrief(store, "n1");
    const queue = new EmbeddedQueue(store, silentLog, { concurrency: 1, leaseMs: 1_000, maxAttempts: 3, pollMs: 5, backoffMs: () => 20 });
    const attempts: number[] = [];
    queue.start(async (_id, run) => {
      attempts.push(run.attempt);
      if (run.attempt < 2) throw new RetryableError("GitHub answered 502");
    });
    await until(() => store.getJob(brief.id)?.state === "succeeded");
    await queue.stop();
    expect(attempts).toEqual([1, 2]);
    expect(store.listEvents(brief.id).map((e) => e.type)).toContain("retrying");
  });

  test("fails a permanent error at once and says why", async () => {
    const brief = newBrief(store, "n1");
    const queue = new EmbeddedQueue(store, silentLog, { concurrency: 1, leaseMs: 1_000, maxAttempts: 5, pollMs: 5 });
    let runs = 0;
    queue.start(async () => {
      runs++;
      throw new PermanentError("the repository belongs to someone else");
    });
    await until(() => store.getJob(brief.id)?.state === "failed");
    await queue.stop();
    expect(runs).toBe(1);
    expect(store.getJob(brief.id)?.error).toBe("the repository belongs to someone else");
  });

  test("takes over a job whose runner died once its lease expires", async () => {
    const brief = newBrief(store, "n1");
    // A runner that claimed the job and died (kill -9): its lease is never renewed.
    expect(store.claimNextJob("dead-runner", 50)?.briefId).toBe(brief.id);
    const queue = new EmbeddedQueue(store, silentLog, { concurrency: 1, leaseMs: 1_000, maxAttempts: 3, pollMs: 10 });
    const runs: number[] = [];
    queue.start(async (_id, run) => {
      runs.push(run.attempt);
    });
    await until(() => store.getJob(brief.id)?.state === "succeeded");
    await queue.stop();
    expect(runs).toEqual([2]);
  });

  test("does not take a job whose lease is still held", async () => {
    const brief = newBrief(store, "n1");
    store.claimNextJob("live-runner", 60_000);
    const queue = new EmbeddedQueue(store, silentLog, { concurrency: 1, leaseMs: 1_000, maxAttempts: 3, pollMs: 5 });
    let runs = 0;
    queue.start(async () => {
      runs++;
    });
    await new Promise((r) => setTimeout(r, 100));
    await queue.stop();
    expect(runs).toBe(0);
    expect(store.getJob(brief.id)?.leaseOwner).toBe("live-runner");
  });

  test("a queued job can be cancelled before it starts", () => {
    const brief = newBrief(store, "n1");
    const queue = new EmbeddedQueue(store, silentLog, { concurrency: 1, leaseMs: 1_000, maxAttempts: 3 });
    queue.abort(brief.id);
    expect(store.getJob(brief.id)?.state).toBe("cancelled");
    expect(store.claimNextJob("r", 1_000)).toBeNull();
  });
});
