import type { Brief } from "../intake/brief-schema.js";
import type { HandlerDeps } from "./handler-deps.js";
import { parseRevisionText } from "./parse-issue-brief.js";

export interface RevisionRequest {
  /** The brief the revision follows: the issue's round 1 (`/revise` on the issue) or the pull request's round. */
  from: Brief;
  round: number;
  /** `comment-<id>` or `review-<id>`: a redelivered webhook finds the same brief. */
  nonce: string;
  /** What to change, as written (untrusted: sanitized here). */
  text: string;
  /** Who asked: asked to review the pull request. */
  requester: string;
}

/**
 * Stores a revision of an issue's task and enqueues it. The pipeline opens (or, for the same round, updates) the
 * round's pull request on the generated repository; a person merges it.
 */
export async function createRevision(deps: HandlerDeps, request: RevisionRequest): Promise<{ brief: Brief; created: boolean }> {
  const { from } = request;
  const { text, attachments } = parseRevisionText(request.text);
  const { brief, created } = deps.store.createBrief({
    source: "issue",
    email: null,
    task: from.task,
    round: request.round,
    nonce: request.nonce,
    brief: text,
    checks: from.checks,
    evaluationUrl: from.evaluationUrl,
    attachments,
    owner: from.owner,
    issue: from.issue,
    ...(from.options ? { options: from.options } : {}),
    mergeCommitSha: null,
  });
  if (from.issue) deps.index.addBrief(from.issue, brief);
  if (created) {
    deps.index.setRequester(brief.id, request.requester);
    await deps.queue.enqueue(brief.id);
  }
  deps.log.info({ briefId: brief.id, task: brief.task, round: brief.round, created }, "revision accepted");
  return { brief, created };
}
