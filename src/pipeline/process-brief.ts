import type { JobRun } from "../queue/job-queue.js";
import type { PipelineDeps } from "./pipeline-deps.js";
import { describeError, isRetryable, PermanentError } from "./errors.js";
import { runSteps } from "./run-steps.js";
import { mergesAutomatically, stepsFor } from "./steps-for.js";

/** The queue's worker: runs a brief's round from its last checkpoint and reports how it ended. */
export function createBriefProcessor(deps: PipelineDeps) {
  return async (briefId: string, run: JobRun): Promise<void> => {
    const brief = deps.store.getBrief(briefId);
    if (!brief) throw new PermanentError(`brief ${briefId} is not in the store`);
    const log = deps.log.child({ briefId, task: brief.task, round: brief.round });
    deps.store.appendEvent(briefId, "running", { attempt: run.attempt });
    try {
      await runSteps(stepsFor(brief, deps.settings), brief, deps, run.signal, log);
    } catch (error) {
      const final = !isRetryable(error) || run.finalAttempt;
      if (final && !run.signal.aborted) {
        const hint = error instanceof PermanentError ? error.hint : undefined;
        deps.store.mergeResult(briefId, { failure: { message: describeError(error), ...(hint ? { hint } : {}) } });
        for (const reporter of deps.reporters) await reporter.update(brief, "failed");
      }
      throw error;
    }
    const awaitingReview = brief.round > 1 && !mergesAutomatically(brief, deps.settings) && !brief.mergeCommitSha;
    deps.store.appendEvent(briefId, awaitingReview ? "awaiting-review" : "succeeded", { ...deps.store.getResult(briefId), verification: undefined });
    if (awaitingReview) deps.store.appendEvent(briefId, "succeeded", { awaiting_review: true });
    for (const reporter of deps.reporters) await reporter.update(brief, awaitingReview ? "awaiting-review" : "succeeded");
    log.info("brief done");
  };
}
