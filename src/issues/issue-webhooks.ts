import type { ApplicationFunction } from "probot";
import type { JobQueue } from "../queue/job-queue.js";
import type { PipelineDeps } from "../pipeline/pipeline-deps.js";
import type { HandlerDeps } from "./handler-deps.js";
import { IssueIndex } from "./issue-index.js";
import { startIssueBrief } from "./start-issue-brief.js";
import { cancelIssueBriefs } from "./cancel-issue-briefs.js";
import { handleIssueComment } from "./handle-issue-comment.js";
import { handlePullRequestReview } from "./handle-pull-request-review.js";
import { recordPullRequestMerge } from "./record-pull-request-merge.js";

/**
 * Briefs from GitHub issues (issue #4): a labelled issue starts round 1, `/revise` the next round as a pull
 * request, a review requesting changes another commit on it, the merge publishes it; `/retry`, closing the issue
 * or removing the label steer the queue. Handlers only authorize, parse, store and enqueue.
 */
export function issueWebhooks(deps: PipelineDeps, queue: JobQueue): ApplicationFunction {
  const handlerDeps: HandlerDeps = { store: deps.store, queue, index: new IssueIndex(deps.store), log: deps.log.child({ component: "issues" }) };
  return (app) => {
    app.on(["issues.opened", "issues.labeled"], (context) => startIssueBrief(context, handlerDeps));
    app.on(["issues.closed", "issues.unlabeled"], (context) => cancelIssueBriefs(context, handlerDeps));
    app.on("issue_comment.created", (context) => handleIssueComment(context, handlerDeps));
    app.on("pull_request_review.submitted", (context) => handlePullRequestReview(context, handlerDeps));
    app.on("pull_request.closed", (context) => recordPullRequestMerge(context, handlerDeps));
    app.on("installation", async (context) => {
      handlerDeps.log.info({ installation: context.payload.installation.id, action: context.payload.action }, "installation event");
    });
  };
}
