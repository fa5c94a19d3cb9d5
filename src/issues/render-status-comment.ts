import type { Brief } from "../intake/brief-schema.js";
import type { BriefStatus } from "../http/brief-status.js";
import type { BriefResult } from "../store/brief-store.js";
import type { StatusReporter } from "../pipeline/pipeline-deps.js";
import { plannedSteps } from "./planned-steps.js";

export type ReportEvent = Parameters<StatusReporter["update"]>[1];

/** Finds a brief's status comment again, whatever else the comment says. */
export function statusMarker(briefId: string): string {
  return `<!-- brief-bot:status:${briefId} -->`;
}

export interface VerificationSummary {
  status: string;
  passed: number;
  total: number;
  skippedReason: string | null;
  checks: { check: string; outcome: string; message?: string }[];
}

/**
 * The run whose verdict counts: the live one once it ran checks on the page; a page this server cannot
 * reach (the verifier may have no network) leaves the verdict to the run on the exact committed tree.
 */
export function decidingRun(local: VerificationSummary | null, live: VerificationSummary | null): VerificationSummary | null {
  const liveRan = live?.checks.some((c) => c.outcome === "pass" || c.outcome === "fail");
  return live && liveRan ? live : local;
}

/** The local (before commit) and live verification the steps stored in the result. */
export function verificationOf(result: BriefResult): { local: VerificationSummary | null; live: VerificationSummary | null } {
  const v = (result.verification ?? {}) as { local?: unknown; live?: unknown };
  return { local: summary(v.local), live: summary(v.live) };
}

function summary(raw: unknown): VerificationSummary | null {
  if (typeof raw !== "object" || raw === null) return null;
  const r = raw as Record<string, unknown>;
  const checks = Array.isArray(r.checks) ? (r.checks as VerificationSummary["checks"]) : [];
  return {
    status: typeof r.status === "string" ? r.status : "unknown",
    passed: typeof r.passed === "number" ? r.passed : 0,
    total: typeof r.total === "number" ? r.total : checks.length,
    skippedReason: typeof r.skipped_reason === "string" ? r.skipped_reason : typeof r.error === "string" ? r.error : null,
    checks,
  };
}

const HEADLINE: Record<ReportEvent, string> = {
  step: "⏳ in progress",
  succeeded: "✅ done",
  failed: "❌ failed",
  "awaiting-review": "👀 waiting for your review",
};

/**
 * The status comment of one brief: a checklist of its steps, then links, model usage, verification and, for a
 * failure, the reason and what to do. Everything shown comes from the store, so any update can re-render it whole.
 */
export function renderStatusComment(brief: Brief, status: BriefStatus, result: BriefResult, event: ReportEvent): string {
  const lines = [statusMarker(brief.id), `### brief-bot · <code>${code(brief.task)}</code> round ${brief.round} · ${HEADLINE[event]}`, ""];
  const recorded = new Map(status.steps.map((s) => [s.name, s]));
  const planned = plannedSteps(brief);
  const rows = [...planned, ...status.steps.filter((s) => !planned.some((p) => p.name === s.name)).map((s) => ({ name: s.name, title: s.name }))];
  for (const step of rows) {
    const s = recorded.get(step.name);
    const waiting = step.name === "merge" && event === "awaiting-review" && !s;
    const mark = !s ? "⬜" : s.state === "done" ? "✅" : s.state === "skipped" ? "⏭️" : s.state === "failed" ? "❌" : event === "failed" ? "❌" : "⏳";
    const note = waiting ? " (merge the pull request when it looks right)" : s?.state === "failed" && s.error ? `: ${inline(s.error)}` : "";
    lines.push(`- ${mark} ${step.title}${note}`);
  }

  const links = [
    status.repo_url ? `[repository](${status.repo_url})` : null,
    status.pages_url ? `[live page](${status.pages_url})` : null,
    status.commit_sha ? link(`commit \`${status.commit_sha.slice(0, 7)}\``, commitUrl(status, result)) : null,
    status.pr_url ? `[pull request${result.pr_number ? ` #${result.pr_number}` : ""}](${status.pr_url})` : null,
  ].filter((l): l is string => l !== null);
  if (links.length > 0) lines.push("", `**Links:** ${links.join(" · ")}`);

  if (status.usage) {
    const u = status.usage;
    const tokens = u.prompt_tokens + u.completion_tokens;
    lines.push("", `**Model:** ${tokens.toLocaleString("en-US")} tokens (${u.prompt_tokens.toLocaleString("en-US")} in, ${u.completion_tokens.toLocaleString("en-US")} out) in ${u.calls} call${u.calls === 1 ? "" : "s"}, $${u.cost_usd.toFixed(4)}`);
  }

  const { local, live } = verificationOf(result);
  if (local) lines.push("", `**Checks:** ${describeVerification(local)}${live ? `; on the live page: ${describeVerification(live)}` : ""}`);
  const failing = decidingRun(local, live)?.checks.filter((c) => c.outcome === "fail" || c.outcome === "error") ?? [];
  for (const c of failing.slice(0, 10)) lines.push(`- ❌ <code>${code(c.check)}</code>${c.message ? `: ${inline(c.message)}` : ""}`);

  if (event === "failed") {
    const failure = result.failure as { message?: string; hint?: string } | undefined;
    lines.push("", `**What went wrong:** ${inline(failure?.message ?? status.last_error ?? "the build stopped")}`);
    if (failure?.hint) lines.push(`**What to do:** ${inline(failure.hint)}`);
    lines.push("", "Comment `/retry` on this issue to run this round again (finished steps are kept).");
  } else if (event === "awaiting-review") {
    lines.push("", "Review the pull request: request changes (your review and its line comments become the next commit) or merge it to publish.");
  } else if (event === "succeeded" && brief.round === 1) {
    lines.push("", "Comment `/revise <what to change>` for the next round, as a pull request.");
  }
  return lines.join("\n");
}

function commitUrl(status: BriefStatus, result: BriefResult): string | null {
  // Later rounds record only the merge commit's sha; its page is under the repository's.
  if (typeof result.commit_url === "string" && result.commit_url.endsWith(status.commit_sha ?? "")) return result.commit_url;
  return status.repo_url?.startsWith("http") ? `${status.repo_url}/commit/${status.commit_sha ?? ""}` : null;
}

function link(text: string, url: string | null): string {
  return url ? `[${text}](${url})` : text;
}

function describeVerification(v: VerificationSummary): string {
  if (v.status === "skipped") return `skipped${v.skippedReason ? ` (${inline(v.skippedReason)})` : ""}`;
  if (v.status === "error") return `could not run${v.skippedReason ? ` (${inline(v.skippedReason)})` : ""}`;
  const ran = v.checks.some((c) => c.outcome === "pass" || c.outcome === "fail");
  if (!ran && v.checks.length > 0) return `could not run (${inline(v.checks[0]!.message ?? "no check ran")})`;
  return `${v.passed} of ${v.total} passed`;
}

/** One line of untrusted or long text, safe in markdown (no table breaks, no HTML). */
export function inline(text: string): string {
  return escapeHtml(text.replace(/\s+/g, " ").trim()).slice(0, 500);
}

/** Text for a `<code>` element or a code span. */
export function code(text: string): string {
  return escapeHtml(text.replace(/\s+/g, " ").trim()).replace(/`/g, "&#96;").slice(0, 300);
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/\|/g, "&#124;").replace(/@/g, "@\u200b");
}
