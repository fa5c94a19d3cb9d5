import { z } from "zod";
import type { BriefOptions } from "../intake/brief-schema.js";

export const CONFIG_FILE = "brief-bot.yml";
export const DEFAULT_LABEL = "brief";

/**
 * `.github/brief-bot.yml` in the repository where briefs are filed (or in the organization's `.github` repository).
 * Unknown keys are errors, so a misspelt option is reported instead of silently ignored.
 */
export const repoConfigSchema = z
  .object({
    /** The label that turns an issue into a brief. */
    label: z.string().trim().min(1, "label must not be empty").max(50, "label is at most 50 characters").default(DEFAULT_LABEL),
    /** Informational only: the server's LLM_MODEL writes every app (the writer takes no per-brief model). */
    model: z.string().min(1).max(100).optional(),
    /** Cap on model spending per brief, in US dollars; a call that would pass it is refused. Default: the server's BRIEF_MAX_COST_USD. */
    max_cost_usd: z.number().positive("max_cost_usd must be more than 0").max(1000).optional(),
    /** Visibility of generated repositories. Default: the server's REPO_VISIBILITY. */
    visibility: z.enum(["public", "private"]).optional(),
    /** Rounds after the first come as pull requests: `manual` leaves them for a person to review and merge, `auto` merges at once. */
    revision_merge: z.enum(["auto", "manual"]).default("manual"),
    /** Whether generated apps may include GitHub Actions workflows (e.g. a build that deploys to Pages). */
    allow_workflows: z.boolean().optional(),
    /** Check each generated app in a browser before committing it (needs Chromium on the server). */
    verify: z.boolean().optional(),
  })
  .strict();

export type RepoConfig = z.infer<typeof repoConfigSchema>;

export type RepoConfigLoad = { ok: true; config: RepoConfig } | { ok: false; problem: string; label: string };

/**
 * Reads and validates the configuration through Probot's `context.config` (pass `(f) => context.config(f)`).
 * No file: the defaults. A file that does not parse or validate: the problem, in words for the issue comment,
 * and the label the file seems to mean (so that a broken file is reported on brief issues only).
 */
export async function loadRepoConfig(read: (file: string) => Promise<unknown>): Promise<RepoConfigLoad> {
  let raw: unknown;
  try {
    raw = await read(CONFIG_FILE);
  } catch (error) {
    // @probot/octokit-plugin-config throws for YAML that does not parse; other errors (network, 5xx) propagate.
    if (error instanceof Error && /could not be parsed/i.test(error.message)) {
      return { ok: false, problem: `.github/${CONFIG_FILE} is not valid YAML (a mapping of options is expected)`, label: DEFAULT_LABEL };
    }
    throw error;
  }
  const parsed = repoConfigSchema.safeParse(raw ?? {});
  if (parsed.success) return { ok: true, config: parsed.data };
  const problem = parsed.error.issues
    .map((i) => (i.path.length > 0 ? `\`${i.path.join(".")}\`: ${i.message}` : i.message))
    .join("; ");
  const label = typeof raw === "object" && raw !== null && typeof (raw as { label?: unknown }).label === "string" ? (raw as { label: string }).label.trim() : DEFAULT_LABEL;
  return { ok: false, problem: `.github/${CONFIG_FILE} is invalid: ${problem}`, label: label || DEFAULT_LABEL };
}

/** The per-brief overrides the pipeline reads. */
export function briefOptions(config: RepoConfig): BriefOptions {
  return {
    revisionMerge: config.revision_merge,
    ...(config.max_cost_usd !== undefined ? { maxCostUsd: config.max_cost_usd } : {}),
    ...(config.visibility ? { visibility: config.visibility } : {}),
    ...(config.verify !== undefined ? { verify: config.verify } : {}),
    ...(config.allow_workflows !== undefined ? { allowWorkflows: config.allow_workflows } : {}),
  };
}
