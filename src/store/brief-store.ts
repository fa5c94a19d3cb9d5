import Database from "better-sqlite3";
import { EventEmitter } from "node:events";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { randomUUID } from "node:crypto";
import type { Brief } from "../intake/brief-schema.js";

export type JobState = "queued" | "running" | "succeeded" | "failed" | "cancelled";
export type StepState = "running" | "done" | "failed" | "skipped";

export interface StepRecord {
  name: string;
  state: StepState;
  startedAt: string;
  finishedAt: string | null;
  output: unknown;
  error: string | null;
}

export interface BriefEvent {
  seq: number;
  briefId: string;
  type: string;
  data: Record<string, unknown>;
  at: string;
}

export interface JobRecord {
  briefId: string;
  state: JobState;
  attempts: number;
  runAfter: number;
  leaseOwner: string | null;
  leaseUntil: number | null;
  error: string | null;
}

/** What a brief produced so far; steps fill it in as they finish. */
export interface BriefResult {
  repo_url?: string;
  repo_full_name?: string;
  pages_url?: string;
  commit_sha?: string;
  commit_url?: string;
  pr_url?: string;
  pr_number?: number;
  usage?: { prompt_tokens: number; completion_tokens: number; cost_usd: number; calls: number };
  verification?: unknown;
  [key: string]: unknown;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS briefs (
  id TEXT PRIMARY KEY,
  task TEXT NOT NULL,
  round INTEGER NOT NULL,
  nonce TEXT NOT NULL,
  source TEXT NOT NULL,
  payload TEXT NOT NULL,
  result TEXT NOT NULL DEFAULT '{}',
  created_at TEXT NOT NULL,
  UNIQUE (task, round, nonce)
);
CREATE TABLE IF NOT EXISTS jobs (
  brief_id TEXT PRIMARY KEY REFERENCES briefs(id),
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  run_after INTEGER NOT NULL,
  lease_owner TEXT,
  lease_until INTEGER,
  error TEXT,
  updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS jobs_ready ON jobs (state, run_after);
CREATE TABLE IF NOT EXISTS steps (
  brief_id TEXT NOT NULL REFERENCES briefs(id),
  name TEXT NOT NULL,
  state TEXT NOT NULL,
  started_at TEXT NOT NULL,
  finished_at TEXT,
  output TEXT,
  error TEXT,
  PRIMARY KEY (brief_id, name)
);
CREATE TABLE IF NOT EXISTS events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  brief_id TEXT NOT NULL,
  type TEXT NOT NULL,
  data TEXT NOT NULL,
  at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_brief ON events (brief_id, seq);
CREATE TABLE IF NOT EXISTS repositories (
  full_name TEXT PRIMARY KEY,
  task TEXT NOT NULL,
  created_by TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS kv (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
`;

const now = () => new Date().toISOString();

/**
 * The durable record of every brief: the brief itself, its job, step checkpoints and events, in one
 * SQLite file (WAL). A brief and its job are written in one transaction, so an accepted brief is never lost.
 */
export class BriefStore {
  readonly db: Database.Database;
  private readonly bus = new EventEmitter();

  constructor(file: string) {
    if (file !== ":memory:") mkdirSync(dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = NORMAL");
    this.db.pragma("busy_timeout = 5000");
    this.db.pragma("foreign_keys = ON");
    this.db.exec(SCHEMA);
    this.bus.setMaxListeners(0);
  }

  close(): void {
    this.db.close();
  }

  /** Inserts a brief and its queued job, or returns the brief already stored for the same (task, round, nonce). */
  createBrief(input: Omit<Brief, "id" | "createdAt">): { brief: Brief; created: boolean } {
    const insert = this.db.transaction(() => {
      const existing = this.db
        .prepare("SELECT id FROM briefs WHERE task = ? AND round = ? AND nonce = ?")
        .get(input.task, input.round, input.nonce) as { id: string } | undefined;
      if (existing) return { brief: this.getBrief(existing.id)!, created: false };
      const brief: Brief = { ...input, id: `br_${randomUUID().replace(/-/g, "").slice(0, 20)}`, createdAt: now() };
      this.db
        .prepare("INSERT INTO briefs (id, task, round, nonce, source, payload, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)")
        .run(brief.id, brief.task, brief.round, brief.nonce, brief.source, JSON.stringify(brief), brief.createdAt);
      this.db
        .prepare("INSERT INTO jobs (brief_id, state, run_after, updated_at) VALUES (?, 'queued', ?, ?)")
        .run(brief.id, Date.now(), brief.createdAt);
      return { brief, created: true };
    });
    const result = insert.immediate();
    if (result.created) this.appendEvent(result.brief.id, "queued", { task: result.brief.task, round: result.brief.round });
    return result;
  }

  getBrief(id: string): Brief | null {
    const row = this.db.prepare("SELECT payload FROM briefs WHERE id = ?").get(id) as { payload: string } | undefined;
    return row ? (JSON.parse(row.payload) as Brief) : null;
  }

  /** Briefs of a task, oldest round first. */
  briefsForTask(task: string): Brief[] {
    const rows = this.db.prepare("SELECT payload FROM briefs WHERE task = ? ORDER BY round, created_at").all(task) as {
      payload: string;
    }[];
    return rows.map((r) => JSON.parse(r.payload) as Brief);
  }

  updateBrief(brief: Brief): void {
    this.db.prepare("UPDATE briefs SET payload = ? WHERE id = ?").run(JSON.stringify(brief), brief.id);
  }

  getResult(id: string): BriefResult {
    const row = this.db.prepare("SELECT result FROM briefs WHERE id = ?").get(id) as { result: string } | undefined;
    return row ? (JSON.parse(row.result) as BriefResult) : {};
  }

  mergeResult(id: string, patch: BriefResult): BriefResult {
    return this.db.transaction(() => {
      const merged = { ...this.getResult(id), ...patch };
      this.db.prepare("UPDATE briefs SET result = ? WHERE id = ?").run(JSON.stringify(merged), id);
      return merged;
    })();
  }

  getJob(briefId: string): JobRecord | null {
    const row = this.db.prepare("SELECT * FROM jobs WHERE brief_id = ?").get(briefId) as JobRow | undefined;
    return row ? toJob(row) : null;
  }

  /** Claims the next runnable job: queued and due, or running with an expired lease (its runner died). */
  claimNextJob(owner: string, leaseMs: number, at = Date.now()): JobRecord | null {
    const row = this.db
      .prepare(
        `UPDATE jobs SET state = 'running', lease_owner = @owner, lease_until = @until, attempts = attempts + 1, updated_at = @ts
         WHERE brief_id = (
           SELECT brief_id FROM jobs
           WHERE (state = 'queued' AND run_after <= @at) OR (state = 'running' AND lease_until < @at)
           ORDER BY run_after LIMIT 1)
         RETURNING *`,
      )
      .get({ owner, until: at + leaseMs, at, ts: now() }) as JobRow | undefined;
    return row ? toJob(row) : null;
  }

  /** Extends a lease; false when the lease was lost (another runner took the job over). */
  renewLease(briefId: string, owner: string, leaseMs: number): boolean {
    const info = this.db
      .prepare("UPDATE jobs SET lease_until = ? WHERE brief_id = ? AND lease_owner = ? AND state = 'running'")
      .run(Date.now() + leaseMs, briefId, owner);
    return info.changes === 1;
  }

  finishJob(briefId: string, owner: string | null, state: "succeeded" | "failed" | "cancelled", error: string | null = null): void {
    this.db
      .prepare(
        `UPDATE jobs SET state = ?, error = ?, lease_owner = NULL, lease_until = NULL, updated_at = ?
         WHERE brief_id = ? AND (? IS NULL OR lease_owner = ?)`,
      )
      .run(state, error, now(), briefId, owner, owner);
  }

  /** Puts a job back in the queue, after a retryable error (delay) or for a re-run (/retry). */
  requeueJob(briefId: string, delayMs: number, error: string | null = null, resetAttempts = false): void {
    this.db
      .prepare(
        `UPDATE jobs SET state = 'queued', run_after = ?, error = ?, lease_owner = NULL, lease_until = NULL,
         attempts = CASE WHEN ? THEN 0 ELSE attempts END, updated_at = ? WHERE brief_id = ?`,
      )
      .run(Date.now() + delayMs, error, resetAttempts ? 1 : 0, now(), briefId);
  }

  /** Cancels a job that has not started; returns whether it did. */
  cancelQueuedJob(briefId: string): boolean {
    const info = this.db
      .prepare("UPDATE jobs SET state = 'cancelled', updated_at = ? WHERE brief_id = ? AND state = 'queued'")
      .run(now(), briefId);
    if (info.changes === 1) this.appendEvent(briefId, "cancelled", {});
    return info.changes === 1;
  }

  countJobs(): Record<JobState, number> {
    const counts: Record<JobState, number> = { queued: 0, running: 0, succeeded: 0, failed: 0, cancelled: 0 };
    const rows = this.db.prepare("SELECT state, COUNT(*) AS n FROM jobs GROUP BY state").all() as { state: JobState; n: number }[];
    for (const r of rows) counts[r.state] = r.n;
    return counts;
  }

  getStep(briefId: string, name: string): StepRecord | null {
    const row = this.db.prepare("SELECT * FROM steps WHERE brief_id = ? AND name = ?").get(briefId, name) as StepRow | undefined;
    return row ? toStep(row) : null;
  }

  listSteps(briefId: string): StepRecord[] {
    const rows = this.db.prepare("SELECT * FROM steps WHERE brief_id = ? ORDER BY started_at, rowid").all(briefId) as StepRow[];
    return rows.map(toStep);
  }

  startStep(briefId: string, name: string): void {
    this.db
      .prepare(
        `INSERT INTO steps (brief_id, name, state, started_at) VALUES (?, ?, 'running', ?)
         ON CONFLICT (brief_id, name) DO UPDATE SET state = 'running', error = NULL, finished_at = NULL`,
      )
      .run(briefId, name, now());
  }

  finishStep(briefId: string, name: string, state: Exclude<StepState, "running">, output: unknown, error: string | null = null): void {
    this.db
      .prepare("UPDATE steps SET state = ?, output = ?, error = ?, finished_at = ? WHERE brief_id = ? AND name = ?")
      .run(state, output === undefined ? null : JSON.stringify(output), error, now(), briefId, name);
  }

  /** Saves progress inside a step (e.g. notification attempts) so a resumed job continues from there. */
  saveStepProgress(briefId: string, name: string, output: unknown): void {
    this.db.prepare("UPDATE steps SET output = ? WHERE brief_id = ? AND name = ?").run(JSON.stringify(output), briefId, name);
  }

  /** Forgets checkpoints so a failed round can run again (/retry). */
  clearSteps(briefId: string, keep: (step: StepRecord) => boolean = () => false): void {
    for (const step of this.listSteps(briefId)) {
      if (!keep(step)) this.db.prepare("DELETE FROM steps WHERE brief_id = ? AND name = ?").run(briefId, step.name);
    }
  }

  appendEvent(briefId: string, type: string, data: Record<string, unknown>): BriefEvent {
    const at = now();
    const info = this.db
      .prepare("INSERT INTO events (brief_id, type, data, at) VALUES (?, ?, ?, ?)")
      .run(briefId, type, JSON.stringify(data), at);
    const event: BriefEvent = { seq: Number(info.lastInsertRowid), briefId, type, data, at };
    this.bus.emit(briefId, event);
    return event;
  }

  listEvents(briefId: string, afterSeq = 0): BriefEvent[] {
    const rows = this.db
      .prepare("SELECT * FROM events WHERE brief_id = ? AND seq > ? ORDER BY seq")
      .all(briefId, afterSeq) as { seq: number; brief_id: string; type: string; data: string; at: string }[];
    return rows.map((r) => ({ seq: r.seq, briefId: r.brief_id, type: r.type, data: JSON.parse(r.data) as Record<string, unknown>, at: r.at }));
  }

  /** Live events of one brief in this process; returns the unsubscribe function. */
  onEvent(briefId: string, listener: (event: BriefEvent) => void): () => void {
    this.bus.on(briefId, listener);
    return () => this.bus.off(briefId, listener);
  }

  /** Records that this app created a repository for a task, before creating it, so a retry can reuse it. */
  claimRepository(fullName: string, task: string, briefId: string): { task: string; createdBy: string } {
    this.db
      .prepare("INSERT OR IGNORE INTO repositories (full_name, task, created_by, created_at) VALUES (?, ?, ?, ?)")
      .run(fullName.toLowerCase(), task, briefId, now());
    const row = this.db.prepare("SELECT task, created_by FROM repositories WHERE full_name = ?").get(fullName.toLowerCase()) as {
      task: string;
      created_by: string;
    };
    return { task: row.task, createdBy: row.created_by };
  }

  repositoryOwner(fullName: string): { task: string; createdBy: string } | null {
    const row = this.db.prepare("SELECT task, created_by FROM repositories WHERE full_name = ?").get(fullName.toLowerCase()) as
      | { task: string; created_by: string }
      | undefined;
    return row ? { task: row.task, createdBy: row.created_by } : null;
  }

  getValue<T>(key: string): T | null {
    const row = this.db.prepare("SELECT value FROM kv WHERE key = ?").get(key) as { value: string } | undefined;
    return row ? (JSON.parse(row.value) as T) : null;
  }

  setValue(key: string, value: unknown): void {
    this.db.prepare("INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run(key, JSON.stringify(value));
  }
}

interface JobRow {
  brief_id: string;
  state: JobState;
  attempts: number;
  run_after: number;
  lease_owner: string | null;
  lease_until: number | null;
  error: string | null;
}

interface StepRow {
  name: string;
  state: StepState;
  started_at: string;
  finished_at: string | null;
  output: string | null;
  error: string | null;
}

function toJob(r: JobRow): JobRecord {
  return { briefId: r.brief_id, state: r.state, attempts: r.attempts, runAfter: r.run_after, leaseOwner: r.lease_owner, leaseUntil: r.lease_until, error: r.error };
}

function toStep(r: StepRow): StepRecord {
  return {
    name: r.name,
    state: r.state,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    output: r.output === null ? null : (JSON.parse(r.output) as unknown),
    error: r.error,
  };
}
