import type { Logger } from "pino";
import type { Brief } from "../intake/brief-schema.js";
import type { PipelineDeps } from "./pipeline-deps.js";
import type { Step, StepContext } from "./step.js";
import { describeError } from "./errors.js";

/** Runs steps in order, skipping those already checkpointed as done, and checkpointing each one. */
export async function runSteps(steps: Step[], brief: Brief, deps: PipelineDeps, signal: AbortSignal, log: Logger): Promise<void> {
  const { store } = deps;
  // A round a person merged later gets its own deadline from the merge.
  const deadline = Date.parse(brief.mergedAt ?? brief.createdAt) + deps.settings.deadlineMs;
  const report = async (event: "step") => {
    for (const reporter of deps.reporters) await reporter.update(brief, event);
  };
  for (const step of steps) {
    signal.throwIfAborted();
    const checkpoint = store.getStep(brief.id, step.name);
    if (checkpoint?.state === "done" || checkpoint?.state === "skipped") continue;
    const stepLog = log.child({ step: step.name });
    const ctx: StepContext = {
      brief,
      deps,
      log: stepLog,
      signal,
      deadline,
      output<T>(name: string): T {
        const s = store.getStep(brief.id, name);
        if (!s || s.state !== "done") throw new Error(`step ${step.name} needs step ${name}, which has not run`);
        return s.output as T;
      },
      has: (name) => store.getStep(brief.id, name)?.state === "done",
      progress<T>(): T | null {
        return (store.getStep(brief.id, step.name)?.output as T | undefined) ?? null;
      },
      saveProgress: (progress) => store.saveStepProgress(brief.id, step.name, progress),
      event: (type, data) => store.appendEvent(brief.id, type, { step: step.name, ...data }),
      result: (patch) => store.mergeResult(brief.id, patch),
    };
    store.startStep(brief.id, step.name);
    store.appendEvent(brief.id, "step.started", { step: step.name, title: step.title });
    await report("step");
    stepLog.info("step started");
    try {
      const output = await step.run(ctx);
      // A step with nothing to do (no evaluation URL, say) says so, and shows as skipped.
      const skipped = typeof output === "object" && output !== null && (output as { skipped?: unknown }).skipped === true;
      store.finishStep(brief.id, step.name, skipped ? "skipped" : "done", output ?? null);
      store.appendEvent(brief.id, "step.finished", { step: step.name, ...(skipped ? { skipped: true } : {}) });
      stepLog.info("step finished");
    } catch (error) {
      store.finishStep(brief.id, step.name, "failed", store.getStep(brief.id, step.name)?.output ?? null, describeError(error));
      store.appendEvent(brief.id, "step.failed", { step: step.name, error: describeError(error) });
      await report("step");
      throw error;
    }
    await report("step");
  }
}
