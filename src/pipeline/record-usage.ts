import type { Usage } from "../model/app-writer.js";
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
