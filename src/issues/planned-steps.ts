import type { Brief } from "../intake/brief-schema.js";
import type { Step } from "../pipeline/step.js";
import { loadAttachments } from "../pipeline/steps/load-attachments.js";
import { findRevisionBase, generateApp, reviseApp } from "../pipeline/steps/write-app.js";
import { verifyApp } from "../pipeline/steps/verify-app.js";
import { ensureRepository } from "../pipeline/steps/ensure-repository.js";
import { commitApp } from "../pipeline/steps/commit-app.js";
import { mergePullRequest, openPullRequest, recordMerge } from "../pipeline/steps/pull-request.js";
import { publishPages } from "../pipeline/steps/publish-pages.js";
import { verifyLive } from "../pipeline/steps/verify-live.js";
import { notifyEvaluation } from "../pipeline/steps/notify-evaluation.js";

/**
 * The checklist an issue brief's status comment shows, before the steps have run. It mirrors stepsFor for issue
 * briefs, whose merge mode is in brief.options (default manual), so it needs none of the server's settings;
 * steps the store recorded but this list lacks are still shown.
 */
export function plannedSteps(brief: Brief): Pick<Step, "name" | "title">[] {
  if (brief.round === 1) return [loadAttachments, generateApp, verifyApp, ensureRepository, commitApp, publishPages, verifyLive, notifyEvaluation];
  const revise = [loadAttachments, findRevisionBase, reviseApp, verifyApp, commitApp, openPullRequest];
  const after = [publishPages, verifyLive, notifyEvaluation];
  if (brief.options?.revisionMerge === "auto") return [...revise, mergePullRequest, ...after];
  return [...revise, recordMerge, ...after];
}
