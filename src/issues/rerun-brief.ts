import type { BriefStore } from "../store/brief-store.js";
import type { JobQueue } from "../queue/job-queue.js";

/** Runs a failed or cancelled round again from its last finished step (`/retry`, the label added again). */
export async function rerunBrief(store: BriefStore, queue: JobQueue, briefId: string): Promise<void> {
  store.clearSteps(briefId, (step) => step.state === "done");
  store.mergeResult(briefId, { failure: undefined });
  await queue.enqueue(briefId);
}
