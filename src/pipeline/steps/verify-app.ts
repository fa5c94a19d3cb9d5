import { normalizeCheck } from "../../intake/brief-schema.js";
import { describeFailures, type VerificationReport } from "../../verify/verifier.js";
import { describeError } from "../errors.js";
import { SkippedVerifier } from "../../verify/skipped-verifier.js";
import { recordUsage, spentUsd, writeAndRecord } from "../record-usage.js";
import { overlay, textFiles } from "../app-files.js";
import { roundTree } from "../round-files.js";
import type { Step, StepContext } from "../step.js";
import type { WrittenApp } from "./write-app.js";

export interface VerifiedApp extends WrittenApp {
  report: VerificationReport;
  attempts: { passed: number; status: VerificationReport["status"]; failures: number }[];
}

/**
 * Serves the exact tree about to be committed, checks it in the browser, and sends failures back to the
 * model up to VERIFY_MAX_REPAIRS times. Ships the best attempt and reports what still fails.
 */
export const verifyApp: Step = {
  name: "verify",
  title: "Verify in a browser",
  async run(ctx: StepContext): Promise<VerifiedApp> {
    const checks = ctx.brief.checks.map(normalizeCheck);
    let written = ctx.output<WrittenApp>("generate");
    let report = await check(ctx, written);
    const attempts = [summarize(report)];
    let best = { written, report };
    for (let repair = 1; repair <= ctx.deps.settings.maxRepairs && report.status === "failed"; repair++) {
      if (ctx.deps.writer.kind === "offline") break;
      ctx.event("repairing", { repair, failures: describeFailures(report) });
      try {
        const { tree } = await roundTree(ctx, written);
        const answer = await writeAndRecord(
          ctx,
          {
            kind: "repair",
            task: ctx.brief.task,
            brief: ctx.brief.brief,
            checks,
            currentFiles: textFiles(tree).filter((f) => f.path !== "LICENSE"),
            failures: describeFailures(report),
            spentUsd: spentUsd(ctx),
            maxCostUsd: ctx.brief.options?.maxCostUsd ?? ctx.deps.settings.maxCostUsd,
          },
        );
        const deletions = [...new Set([...written.deletions, ...answer.deletions])].filter((d) => !answer.files.some((f) => f.path === d));
        written = { files: textFiles(overlay(written.files, answer.files, answer.deletions)), deletions, summary: written.summary };
      } catch (error) {
        ctx.log.warn({ err: error }, "repair failed; shipping the best attempt");
        ctx.event("repair.failed", { repair, error: describeError(error) });
        break;
      }
      report = await check(ctx, written);
      attempts.push(summarize(report));
      if (better(report, best.report)) best = { written, report };
    }
    const verification = {
      status: best.report.status,
      skipped_reason: best.report.skippedReason ?? null,
      passed: best.report.passed,
      total: best.report.checks.length,
      checks: best.report.checks,
      static_errors: best.report.staticErrors,
      page_errors: best.report.pageErrors,
      attempts: attempts.length,
      duration_ms: best.report.durationMs,
    };
    ctx.result({ verification: { local: verification } });
    ctx.event("verified", verification);
    return { ...best.written, report: best.report, attempts };
  },
};

const verificationOff = new SkippedVerifier("verification is off in this repository's brief-bot.yml");

async function check(ctx: StepContext, written: WrittenApp): Promise<VerificationReport> {
  const { tree } = await roundTree(ctx, written);
  const verifier = ctx.brief.options?.verify === false ? verificationOff : ctx.deps.verifier;
  const report = await verifier.verifyFiles(tree, ctx.brief.checks.map(normalizeCheck), ctx.signal);
  if (report.judgeUsage) recordUsage(ctx, report.judgeUsage);
  return report;
}

function summarize(report: VerificationReport) {
  return { passed: report.passed, status: report.status, failures: describeFailures(report).length };
}

function better(a: VerificationReport, b: VerificationReport): boolean {
  const rank = (r: VerificationReport) => (r.status === "failed" ? 0 : 1);
  if (rank(a) !== rank(b)) return rank(a) > rank(b);
  if (a.passed !== b.passed) return a.passed > b.passed;
  return describeFailures(a).length < describeFailures(b).length;
}
