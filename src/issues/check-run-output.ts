import type { Brief } from "../intake/brief-schema.js";
import type { BriefResult } from "../store/brief-store.js";
import { code, decidingRun, inline, verificationOf, type ReportEvent } from "./render-status-comment.js";

export interface CheckRunSummary {
  conclusion: "success" | "failure" | "neutral";
  title: string;
  summary: string;
}

const OUTCOME: Record<string, string> = { pass: "✅", fail: "❌", error: "❌", skipped: "⏭️", "needs-network": "🌐" };

/**
 * The check run on a generated commit: success when every check passed, failure when the round failed or a
 * check failed, neutral when verification was skipped. The summary holds a table of the checks.
 */
export function checkRunOutput(brief: Brief, result: BriefResult, event: ReportEvent): CheckRunSummary {
  const { local, live } = verificationOf(result);
  const failure = event === "failed" ? ((result.failure as { message?: string; hint?: string } | undefined) ?? { message: "the build failed" }) : null;
  const verification = decidingRun(local, live);
  const conclusion: CheckRunSummary["conclusion"] = failure
    ? "failure"
    : !verification || verification.status === "skipped" || verification.status === "error"
      ? "neutral"
      : verification.status === "passed" && verification.passed === verification.total
        ? "success"
        : "failure";
  const title = failure
    ? `Round ${brief.round} failed`
    : !verification
      ? `Round ${brief.round} built; not verified`
      : verification.status === "skipped"
        ? `Round ${brief.round} built; verification skipped`
        : `${verification.passed} of ${verification.total} checks passed`;
  const lines = [`Brief \`${brief.id}\`, task <code>${code(brief.task)}</code>, round ${brief.round}.`];
  if (failure) {
    lines.push("", `**What went wrong:** ${inline(failure.message ?? "")}`);
    if (failure.hint) lines.push(`**What to do:** ${inline(failure.hint)}`);
  }
  if (verification?.skippedReason) lines.push("", `Verification: ${inline(verification.skippedReason)}`);
  if (verification && verification.checks.length > 0) {
    lines.push("", `| | Check | Details |`, `| --- | --- | --- |`);
    for (const c of verification.checks) {
      lines.push(`| ${OUTCOME[c.outcome] ?? "❔"} | <code>${code(c.check)}</code> | ${c.message ? inline(c.message) : ""} |`);
    }
  }
  return { conclusion, title, summary: lines.join("\n").slice(0, 65_000) };
}
