import type { Logger } from "pino";
import type { Brief } from "../intake/brief-schema.js";
import type { BriefResult } from "../store/brief-store.js";
import type { PipelineDeps } from "./pipeline-deps.js";

export interface StepContext {
  brief: Brief;
  deps: PipelineDeps;
  log: Logger;
  signal: AbortSignal;
  /** Epoch ms by which the round must be live and notified. */
  deadline: number;
  /** The checkpointed output of an earlier step of this job. */
  output<T>(step: string): T;
  /** Whether an earlier step ran (it may be absent from this round's list). */
  has(step: string): boolean;
  /** Progress saved by this step in an earlier, interrupted run. */
  progress<T>(): T | null;
  saveProgress(progress: unknown): void;
  event(type: string, data: Record<string, unknown>): void;
  result(patch: BriefResult): BriefResult;
}

/**
 * A named pipeline step. It reads what earlier steps checkpointed, does its work so that running it twice
 * changes nothing, and returns its checkpoint (JSON).
 */
export interface Step {
  name: string;
  /** Words for people: the status comment's checklist. */
  title: string;
  run(ctx: StepContext): Promise<unknown>;
}
