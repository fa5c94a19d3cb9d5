import type { Usage, WriteRequest, WriteResult } from "../model/app-writer.js";
import { WriterError } from "../model/openai-writer.js";
import type { StepContext } from "./step.js";

/** Cost spent on this brief so far (every model call, retries included). */
export function spentUsd(ctx: StepContext): number {
  return ctx.deps.store.getResult(ctx.brief.id).usage?.cost_usd ?? 0;
}

/** Adds a call's usage to the brief's total, at once, so a crash never forgets money spent. */
export function recordUsage(ctx: StepContext, usage: Usage): void {
  const previous = ctx.deps.store.getResult(ctx.brief.id).usage ?? { prompt_tokens: 0, completion_tokens: 0, cost_usd: 0, calls: 0 };
  const total = {
    prompt_tokens: previous.prompt_tokens + usage.promptTokens,
    completion_tokens: previous.completion_tokens + usage.completionTokens,
    cost_usd: Math.round((previous.cost_usd + usage.costUsd) * 1e6) / 1e6,
    calls: previous.calls + usage.calls,
  };
  ctx.result({ usage: total });
  ctx.event("usage", { ...total });
}

/** Asks the writer and records what the calls cost, also when they ended in a failure that was paid for. */
export async function writeAndRecord(ctx: StepContext, request: WriteRequest): Promise<WriteResult> {
  try {
    const result = await ctx.deps.writer.write(request, ctx.signal);
    recordUsage(ctx, result.usage);
    return result;
  } catch (error) {
    if (error instanceof WriterError) recordUsage(ctx, error.usage);
    throw error;
  }
}
