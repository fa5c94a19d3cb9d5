import { fileURLToPath } from "node:url";
import type { SseEvent } from "./follow-events.js";
import type { BriefStatusJson, VerificationRun } from "./submit-brief.js";

export interface ProgressDisplayOptions {
  write: (text: string) => void;
  /** A terminal: the running step is shown as "…" and rewritten in place when it ends. */
  tty?: boolean;
  color?: boolean;
  /** Fallback clock for events without an `at`. */
  now?: () => number;
}

export interface ProgressDisplay {
  onEvent(event: SseEvent): void;
  /** The stream ended: a step still shown as running is printed as unfinished. */
  finish(): void;
}

type Data = Record<string, unknown>;

const TITLE_WIDTH = 24;

/**
 * Turns a brief's event stream into one line per step (✓ done, ✗ failed, … unfinished) with its elapsed
 * time and what it produced (a commit, a URL, check counts), plus lines for retries and the outcome.
 */
export function createProgressDisplay(options: ProgressDisplayOptions): ProgressDisplay {
  const paint = painter(options.color ?? false);
  const now = options.now ?? Date.now;
  let current: { title: string; startedAt: number; notes: string[] } | null = null;
  let firstAt: number | null = null;
  let liveLine = false;

  const clearLive = () => {
    if (liveLine) options.write("\r\x1b[2K");
    liveLine = false;
  };
  const line = (text: string) => {
    clearLive();
    options.write(`${text}\n`);
  };
  const stepLine = (mark: string, at: number, extra: string[]) => {
    if (!current) return;
    const elapsed = seconds(at - current.startedAt);
    const notes = [...current.notes, ...extra].filter(Boolean).join("; ");
    line(`${mark} ${current.title.padEnd(TITLE_WIDTH)} ${paint.dim(elapsed.padStart(6))}${notes ? `  ${notes}` : ""}`);
    current = null;
  };

  return {
    onEvent(event) {
      const data = parseData(event.data);
      const at = typeof data.at === "string" && !Number.isNaN(Date.parse(data.at)) ? Date.parse(data.at) : now();
      firstAt ??= at;
      switch (event.event) {
        case "queued":
          line(paint.dim(`Queued ${text(data.task) ?? "the brief"}, round ${text(data.round) ?? "?"}`));
          break;
        case "running":
          if (Number(data.attempt) > 1) line(paint.dim(`Attempt ${text(data.attempt)}: resuming from the last finished step`));
          break;
        case "retrying":
          if (current) stepLine(paint.red("✗"), at, [text(data.error) ?? ""]);
          line(paint.yellow(`↻ will retry in ${seconds(Number(data.delay_ms) || 0)}: ${text(data.error) ?? "a retryable error"}`));
          break;
        case "step.started":
          current = { title: text(data.title) ?? text(data.step) ?? "step", startedAt: at, notes: [] };
          if (options.tty) {
            clearLive();
            options.write(paint.dim(`… ${current.title}`));
            liveLine = true;
          }
          break;
        case "step.finished":
          if (data.skipped === true) stepLine("–", at, ["skipped: nothing to do"]);
          else stepLine(paint.green("✓"), at, []);
          break;
        case "step.failed":
          stepLine(paint.red("✗"), at, [paint.red(text(data.error) ?? "failed")]);
          break;
        case "succeeded":
          line(paint.green(`✓ ${data.awaiting_review ? "Waiting for a review of the pull request" : "Done"} in ${seconds(at - firstAt)}`));
          break;
        case "failed":
        case "cancelled":
          if (current) stepLine(paint.red("✗"), at, []);
          line(paint.red(`✗ ${event.event === "failed" ? "Failed" : "Cancelled"}: ${text(data.error) ?? text(data.reason) ?? "no reason given"}`));
          break;
        default: {
          const note = noteFor(event.event, data);
          if (note && current) current.notes.push(note);
        }
      }
    },
    finish() {
      if (current) stepLine(paint.dim("…"), now(), ["unfinished"]);
      clearLive();
    },
  };
}

/** What an event adds to its step's line; null for events not worth a note. */
function noteFor(type: string, data: Data): string | null {
  switch (type) {
    case "generated":
      return Array.isArray(data.files) ? `${data.files.length} files` : null;
    case "verified":
    case "verified.live":
      return checkCount(data);
    case "repairing":
      return `repair ${text(data.repair) ?? ""}`.trim();
    case "repair.failed":
      return `repair failed: ${text(data.error) ?? ""}`;
    case "repository.created":
      return `created ${text(data.repo) ?? ""}`;
    case "repository.reused":
      return `reused ${text(data.repo) ?? ""}`;
    case "committed":
      return `${shortSha(text(data.sha))} on ${text(data.branch) ?? "?"}`;
    case "pull-request":
      return `#${text(data.number) ?? "?"} ${text(data.url) ?? ""}`.trim();
    case "merged":
      return `merged as ${shortSha(text(data.sha))}`;
    case "pages.live":
      return text(data.url);
    case "notification":
      return `attempt ${text(data.attempt) ?? "?"}: ${data.status === null ? (text(data.error) ?? "no answer") : `HTTP ${text(data.status)}`}`;
    default:
      return null;
  }
}

function checkCount(data: Data): string | null {
  if (data.status === "error") return `not checked: ${text(data.error) ?? "error"}`;
  if (data.status === "skipped" && Number(data.passed ?? 0) === 0) return `checks skipped: ${text(data.skipped_reason) ?? "no browser"}`;
  if (typeof data.passed !== "number" || typeof data.total !== "number") return null;
  const skipped = Array.isArray(data.checks) ? data.checks.filter((c: unknown) => (c as { outcome?: unknown } | null)?.outcome === "skipped").length : 0;
  return `checks ${data.passed}/${data.total} passed${skipped > 0 ? `, ${skipped} not judged` : ""}`;
}

/** The end-of-job block: where the app is, what was committed, and each check with its outcome. */
export function formatSummary(status: BriefStatusJson, options: { color?: boolean } = {}): string[] {
  const paint = painter(options.color ?? false);
  const lines: string[] = [];
  const row = (label: string, value: string | null) => {
    if (value) lines.push(`  ${label.padEnd(13)}${value}`);
  };
  const state = status.state === "succeeded" ? paint.green(status.state) : status.state === "failed" || status.state === "cancelled" ? paint.red(status.state) : status.state;
  lines.push(`${status.task}, round ${status.round}: ${state}`);
  if (status.error) row("error", paint.red(status.error));
  row("repository", status.repo_url);
  const clonePath = localPath(status.repo_url);
  if (clonePath) row("clone", `git clone ${shellQuote(clonePath)}`);
  row("page", status.pages_url);
  row("commit", status.commit_sha);
  row("pull request", status.pr_url);
  const verification = status.verification;
  if (verification?.local) lines.push(...formatRun("checks before committing", verification.local, paint));
  if (verification?.live) lines.push(...formatRun("checks on the live page", verification.live, paint));
  return lines;
}

function formatRun(label: string, run: VerificationRun, paint: Painter): string[] {
  if (run.status === "error") return [`  ${label}: ${paint.red(`not run (${run.error ?? "error"})`)}`];
  const checks = run.checks ?? [];
  const judged = checks.filter((c) => c.outcome !== "skipped").length;
  const passed = run.passed ?? checks.filter((c) => c.outcome === "pass").length;
  const summary =
    judged === 0
      ? `skipped${run.skipped_reason ? `: ${run.skipped_reason}` : ""}`
      : `${passed}/${checks.length} passed${judged < checks.length ? `, ${checks.length - judged} not judged` : ""}`;
  const lines = [`  ${label}: ${summary}`];
  if (judged === 0) return lines;
  for (const check of checks) {
    const mark = check.outcome === "pass" ? paint.green("✓") : check.outcome === "skipped" ? paint.dim("–") : check.outcome === "needs-network" ? paint.yellow("?") : paint.red("✗");
    const why = check.outcome === "pass" || !check.message ? "" : paint.dim(` — ${check.message}`);
    lines.push(`    ${mark} ${check.check}${why}`);
  }
  return lines;
}

/** A `file:` repository URL (the local forge) as a path `git clone` takes. */
export function localPath(url: string | null): string | null {
  if (!url?.startsWith("file:")) return null;
  try {
    return fileURLToPath(url);
  } catch {
    return null;
  }
}

function shellQuote(path: string): string {
  return /^[\w@%+=:,./-]+$/.test(path) ? path : `'${path.replace(/'/g, "'\\''")}'`;
}

interface Painter {
  green(s: string): string;
  red(s: string): string;
  yellow(s: string): string;
  dim(s: string): string;
}

function painter(color: boolean): Painter {
  const wrap = (code: number) => (s: string) => (color ? `\x1b[${code}m${s}\x1b[0m` : s);
  return { green: wrap(32), red: wrap(31), yellow: wrap(33), dim: wrap(2) };
}

function parseData(data: string): Data {
  try {
    const parsed = JSON.parse(data) as unknown;
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? (parsed as Data) : {};
  } catch {
    return {};
  }
}

function text(value: unknown): string | null {
  return typeof value === "string" || typeof value === "number" ? String(value) : null;
}

function shortSha(sha: string | null): string {
  return sha ? sha.slice(0, 7) : "?";
}

function seconds(ms: number): string {
  return `${(Math.max(0, ms) / 1000).toFixed(1)}s`;
}
