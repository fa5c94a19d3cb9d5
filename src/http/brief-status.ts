import type { BriefStore } from "../store/brief-store.js";

/** The status JSON of a brief: what `GET /api/briefs/:id` answers and what reporters render. */
export function briefStatus(store: BriefStore, id: string) {
  const brief = store.getBrief(id);
  if (!brief) return null;
  const job = store.getJob(id);
  const result = store.getResult(id);
  const steps = store.listSteps(id);
  const notify = steps.find((s) => s.name === "notify");
  const notifyOutput = (notify?.output ?? null) as { attempts?: unknown[] } | null;
  return {
    id: brief.id,
    source: brief.source,
    task: brief.task,
    round: brief.round,
    nonce: brief.nonce,
    state: job?.state ?? "queued",
    attempts: job?.attempts ?? 0,
    created_at: brief.createdAt,
    steps: steps.map((s) => ({ name: s.name, state: s.state, started_at: s.startedAt, finished_at: s.finishedAt, error: s.error })),
    repo_url: result.repo_url ?? null,
    pages_url: result.pages_url ?? null,
    commit_sha: result.commit_sha ?? null,
    pr_url: result.pr_url ?? null,
    usage: result.usage ?? null,
    verification: result.verification ?? null,
    notifications: notifyOutput?.attempts ?? [],
    error: job?.state === "failed" || job?.state === "cancelled" ? job.error : null,
    last_error: job?.error ?? null,
  };
}

export type BriefStatus = NonNullable<ReturnType<typeof briefStatus>>;
