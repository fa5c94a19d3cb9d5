import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { parseEnv, type Env } from "../../src/config/env.js";
import type { JobQueue } from "../../src/queue/job-queue.js";

export const SECRET = "test-secret-123";

export function tempDir(prefix = "brief-bot-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function testEnv(extra: Record<string, string> = {}): Env {
  return parseEnv({ BRIEF_SECRET: SECRET, DATA_DIR: tempDir(), PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "silent", ...extra });
}

export const silentLog = pino({ level: "silent" });

/** A queue that only records what was enqueued: route tests check intake without running jobs. */
export function recordingQueue(): JobQueue & { enqueued: string[] } {
  const enqueued: string[] = [];
  return {
    kind: "recording",
    enqueued,
    async enqueue(id) {
      enqueued.push(id);
    },
    start() {},
    async stop() {},
    abort() {},
    health: () => ({ kind: "recording", ok: true }),
  };
}

export function validBrief(overrides: Record<string, unknown> = {}) {
  return {
    email: "student@example.com",
    secret: SECRET,
    task: "sales-summary-a1b2c",
    round: 1,
    nonce: "nonce-1",
    brief: "Publish a page that sums the sales column of data.csv and shows it in #total-sales.",
    checks: ["Repo has MIT license", "js: document.querySelector('#total-sales') !== null", { js: "!!document.title" }],
    evaluation_url: "https://evaluator.example.com/notify",
    attachments: [{ name: "data.csv", url: "data:text/csv;base64,cHJvZHVjdCxzYWxlcwphLDEwCmIsMjAK" }],
    ...overrides,
  };
}
