import type { Context } from "probot";
import type { Brief } from "../intake/brief-schema.js";
import type { HandlerDeps } from "./handler-deps.js";
import type { IssueRef } from "./issue-index.js";
import { canWrite } from "./can-write.js";
import { commentOnce, declineOnce } from "./decline-once.js";
import { createRevision } from "./create-revision.js";
import { parseCommand } from "./parse-command.js";
import { rerunBrief } from "./rerun-brief.js";

/**
 * `/revise` and `/retry` comments. On a brief issue, `/revise` starts the next round and `/retry` re-runs the latest
 * failed brief; on a pull request brief-bot opened, `/revise` adds a commit to that round and `/retry` re-runs it.
 */
export async function handleIssueComment(context: Context<"issue_comment.created">, deps: HandlerDeps): Promise<void> {
  const { payload, octokit } = context;
  if (payload.sender.type === "Bot" || payload.comment.user?.type === "Bot") return;
  const command = parseCommand(payload.comment.body);
  if (!command) return;

  const here: IssueRef = { owner: payload.repository.owner.login, repo: payload.repository.name, number: payload.issue.number };
  const onPullRequest = Boolean(payload.issue.pull_request);
  const pullRequestBrief = onPullRequest ? deps.index.briefOfPullRequest(payload.repository.full_name, here.number) : null;
  const issueBriefs = onPullRequest ? [] : deps.index.briefsOf(here);
  if (!pullRequestBrief && issueBriefs.length === 0) return;

  const login = payload.sender.login;
  if (!(await canWrite(octokit, here, login))) return declineOnce(octokit, deps.index, here, login);
  await octokit.rest.reactions.createForIssueComment({ owner: here.owner, repo: here.repo, comment_id: payload.comment.id, content: "eyes" });

  if (command.name === "retry") {
    const candidates = pullRequestBrief ? deps.store.briefsForTask(pullRequestBrief.task).filter((b) => b.round === pullRequestBrief.round) : issueBriefs;
    const failed = latestStopped(deps, candidates);
    if (!failed) return commentOnce(octokit, deps.index, here, "Nothing to retry: no round of this brief has failed.");
    deps.log.info({ briefId: failed.id }, "retry requested");
    return rerunBrief(deps.store, deps.queue, failed.id);
  }
  if (!command.text) return commentOnce(octokit, deps.index, here, "Say what to change after `/revise`, for example `/revise make the header blue`.");

  const nonce = `comment-${payload.comment.id}`;
  if (pullRequestBrief) {
    await createRevision(deps, { from: pullRequestBrief, round: pullRequestBrief.round, nonce, text: command.text, requester: login });
    return;
  }
  const first = issueBriefs.find((b) => b.round === 1) ?? issueBriefs[0]!;
  const task = deps.store.briefsForTask(first.task);
  // A redelivered webhook: this comment already has its round (the next round number has moved on since).
  if (task.some((b) => b.nonce === nonce)) return;
  const round = Math.max(...task.map((b) => b.round)) + 1;
  await createRevision(deps, { from: first, round, nonce, text: command.text, requester: login });
}

/** The newest brief whose job failed or was cancelled. */
function latestStopped(deps: HandlerDeps, briefs: Brief[]): Brief | null {
  const stopped = briefs.filter((b) => {
    const state = deps.store.getJob(b.id)?.state;
    return state === "failed" || state === "cancelled";
  });
  return stopped.sort((a, b) => a.createdAt.localeCompare(b.createdAt))[stopped.length - 1] ?? null;
}
