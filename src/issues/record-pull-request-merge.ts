import type { Context } from "probot";
import type { HandlerDeps } from "./handler-deps.js";

/**
 * A person merged a round's pull request: the round's latest finished brief records the merge commit and is
 * enqueued again, so the job goes on to Pages, the live checks and the evaluation URL.
 */
export async function recordPullRequestMerge(context: Context<"pull_request.closed">, deps: HandlerDeps): Promise<void> {
  const { pull_request: pr, repository } = context.payload;
  if (!pr.merged || !pr.merge_commit_sha) return;
  const indexed = deps.index.briefOfPullRequest(repository.full_name, pr.number);
  if (!indexed) return;
  const round = deps.store.briefsForTask(indexed.task).filter((b) => b.round === indexed.round);
  const finished = round.filter((b) => deps.store.getJob(b.id)?.state === "succeeded");
  const brief = finished[finished.length - 1];
  const log = deps.log.child({ pr: `${repository.full_name}#${pr.number}` });
  if (!brief) return log.warn({ task: indexed.task, round: indexed.round }, "merged pull request has no finished brief to publish");
  if (brief.mergeCommitSha === pr.merge_commit_sha) return;
  deps.store.updateBrief({ ...brief, mergeCommitSha: pr.merge_commit_sha, mergedAt: new Date().toISOString() });
  await deps.queue.enqueue(brief.id);
  log.info({ briefId: brief.id, sha: pr.merge_commit_sha }, "pull request merged: publishing the round");
}
