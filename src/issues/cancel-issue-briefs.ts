import type { Context } from "probot";
import type { HandlerDeps } from "./handler-deps.js";
import type { IssueRef } from "./issue-index.js";
import { loadRepoConfig } from "./repo-config.js";

/**
 * `issues.closed`, or `issues.unlabeled` with the brief label: cancels the issue's briefs that wait in the queue.
 * Work already running finishes (its round is half-built; stopping it would leave less to resume from).
 */
export async function cancelIssueBriefs(context: Context<"issues.closed" | "issues.unlabeled">, deps: HandlerDeps): Promise<void> {
  const { payload } = context;
  const issue: IssueRef = { owner: payload.repository.owner.login, repo: payload.repository.name, number: payload.issue.number };
  const briefs = deps.index.briefsOf(issue);
  if (briefs.length === 0) return;
  if (payload.action === "unlabeled") {
    const config = await loadRepoConfig((file) => context.config(file));
    const label = config.ok ? config.config.label : config.label;
    if (payload.label?.name.toLowerCase() !== label.toLowerCase()) return;
  }
  for (const brief of briefs) {
    if (deps.store.getJob(brief.id)?.state !== "queued") continue;
    deps.queue.abort(brief.id);
    deps.log.info({ briefId: brief.id, reason: payload.action }, "queued issue brief cancelled");
  }
}
