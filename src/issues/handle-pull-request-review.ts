import type { Context } from "probot";
import type { HandlerDeps } from "./handler-deps.js";
import { canWrite } from "./can-write.js";
import { createRevision } from "./create-revision.js";
import { declineOnce } from "./decline-once.js";

/**
 * A review that requests changes on a pull request brief-bot opened: the review's body and its line comments
 * become a brief for the same round, which the pipeline commits on the round's branch.
 */
export async function handlePullRequestReview(context: Context<"pull_request_review.submitted">, deps: HandlerDeps): Promise<void> {
  const { payload, octokit } = context;
  if (payload.review.state.toLowerCase() !== "changes_requested" || payload.sender.type === "Bot") return;
  const from = deps.index.briefOfPullRequest(payload.repository.full_name, payload.pull_request.number);
  if (!from) return;
  const repo = { owner: payload.repository.owner.login, repo: payload.repository.name };
  const login = payload.review.user?.login ?? payload.sender.login;
  if (!(await canWrite(octokit, repo, login))) return declineOnce(octokit, deps.index, { ...repo, number: payload.pull_request.number }, login);

  const comments = await octokit.paginate(octokit.rest.pulls.listReviewComments, { ...repo, pull_number: payload.pull_request.number, per_page: 100 });
  const lines = comments
    .filter((c) => c.pull_request_review_id === payload.review.id)
    .map((c) => `${c.path}:${c.line ?? c.original_line ?? "?"}: ${c.body}`);
  const text = [payload.review.body ?? "", ...lines].filter((part) => part.trim() !== "").join("\n\n");
  if (!text) return;
  await createRevision(deps, { from, round: from.round, nonce: `review-${payload.review.id}`, text, requester: login });
}
