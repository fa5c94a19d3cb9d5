import { normalizeCheck } from "../../intake/brief-schema.js";
import type { PagesInfo } from "../../forge/forge.js";
import { describeError } from "../errors.js";
import type { Step, StepContext } from "../step.js";

/** Runs the JavaScript checks once more against the live page: what the evaluator will see. Reports only. */
export const verifyLive: Step = {
  name: "verify-live",
  title: "Check the live page",
  async run(ctx: StepContext) {
    const { url } = ctx.output<PagesInfo>("pages");
    // JavaScript checks only: the natural-language ones were judged on the exact tree before the commit.
    const checks = ctx.brief.checks.map(normalizeCheck).filter((c) => c.kind === "js");
    const previous = ctx.deps.store.getResult(ctx.brief.id).verification as Record<string, unknown> | undefined;
    try {
      const report = await ctx.deps.verifier.verifyUrl(url, checks, ctx.signal);
      const live = { status: report.status, skipped_reason: report.skippedReason ?? null, passed: report.passed, total: report.checks.length, checks: report.checks, page_errors: report.pageErrors };
      ctx.result({ verification: { ...previous, live } });
      ctx.event("verified.live", live);
      return live;
    } catch (error) {
      const live = { status: "error", error: describeError(error) };
      ctx.result({ verification: { ...previous, live } });
      ctx.event("verified.live", live);
      return live;
    }
  },
};
