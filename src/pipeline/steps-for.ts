import type { Brief } from "../intake/brief-schema.js";
import type { PipelineSettings } from "./pipeline-deps.js";
import type { Step } from "./step.js";
import { loadAttachments } from "./steps/load-attachments.js";
import { findRevisionBase, generateApp, reviseApp } from "./steps/write-app.js";
import { verifyApp } from "./steps/verify-app.js";
import { ensureRepository } from "./steps/ensure-repository.js";
import { commitApp } from "./steps/commit-app.js";
import { mergePullRequest, openPullRequest, recordMerge } from "./steps/pull-request.js";
import { publishPages } from "./steps/publish-pages.js";
import { verifyLive } from "./steps/verify-live.js";
import { notifyEvaluation } from "./steps/notify-evaluation.js";

/**
 * The steps of a round. Round 1 builds and publishes; later rounds revise through a pull request, which
 * route briefs merge at once (REVISION_MERGE=auto) and issue briefs leave for a person to review.
 */
export function stepsFor(brief: Brief, settings: PipelineSettings): Step[] {
  if (brief.round === 1) {
    return [loadAttachments, generateApp, verifyApp, ensureRepository, commitApp, publishPages, verifyLive, notifyEvaluation];
  }
  const revise = [loadAttachments, findRevisionBase, reviseApp, verifyApp, commitApp, openPullRequest];
  if (mergesAutomatically(brief, settings)) return [...revise, mergePullRequest, publishPages, verifyLive, notifyEvaluation];
  // A person merges: the job stops at the pull request and is enqueued again once the merge is known.
  if (brief.mergeCommitSha) return [...revise, recordMerge, publishPages, verifyLive, notifyEvaluation];
  return revise;
}

export function mergesAutomatically(brief: Brief, settings: PipelineSettings): boolean {
  const mode = brief.options?.revisionMerge ?? (brief.source === "route" ? settings.revisionMerge : "manual");
  return mode === "auto";
}
