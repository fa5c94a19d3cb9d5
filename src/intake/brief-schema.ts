import { z } from "zod";

/** An attachment name is a plain file name: no path separators, no `..`, no leading dot. */
export const attachmentNameSchema = z
  .string()
  .min(1, "attachment name is empty")
  .max(255, "attachment name is longer than 255 characters")
  .refine((n) => !/[\\/]/.test(n), "attachment name must not contain path separators")
  .refine((n) => !n.startsWith("."), "attachment name must not start with a dot")
  .refine((n) => !n.includes(".."), "attachment name must not contain '..'")
  // eslint-disable-next-line no-control-regex
  .refine((n) => !/[\u0000-\u001f\u007f]/.test(n), "attachment name must not contain control characters");

export const attachmentSchema = z.object({
  name: attachmentNameSchema,
  /** A data: URI (base64 or percent-encoded), or an http(s) URL fetched later, in the job. */
  url: z
    .string()
    .refine((u) => /^data:/i.test(u) || /^https?:\/\//i.test(u), "url must be a data: URI or an http(s) URL"),
});

/** A check is natural language, a JavaScript expression prefixed `js:`, or `{js: "..."}`. */
export const checkSchema = z.union([
  z.string().min(1, "a check must not be empty").max(10_000),
  z.object({ js: z.string().min(1).max(10_000) }).strict(),
]);

/** The route's JSON body (seed 000's protocol). */
export const briefRequestSchema = z.object({
  email: z.email(),
  secret: z.string(),
  task: z
    .string()
    .min(1)
    .max(200)
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "task must start with a letter or digit and hold only letters, digits, '.', '_' and '-'"),
  round: z.number().int("round must be an integer").min(1, "round must be 1 or more"),
  nonce: z.string().min(1).max(200),
  brief: z.string().min(1).max(100_000),
  checks: z.array(checkSchema).max(200).default([]),
  evaluation_url: z.url({ protocol: /^https?$/ }).optional(),
  attachments: z.array(attachmentSchema).max(50).default([]),
});

export type BriefRequest = z.infer<typeof briefRequestSchema>;
export type Check = z.infer<typeof checkSchema>;

/** What the pipeline works from: a brief from the route or from an issue, with the secret gone. */
export interface Brief {
  id: string;
  source: "route" | "issue";
  email: string | null;
  task: string;
  round: number;
  nonce: string;
  brief: string;
  checks: Check[];
  evaluationUrl: string | null;
  attachments: { name: string; url: string }[];
  /** Where the repository goes (route: BRIEF_OWNER; issue: the issue repository's owner). */
  owner: string | null;
  /** For issue briefs: the issue and installation that filed it. */
  issue: { owner: string; repo: string; number: number; installationId: number | null } | null;
  /** Per-brief overrides of the server's settings (an installation's .github/brief-bot.yml). */
  options?: BriefOptions;
  /** Set when a person merged this round's pull request (issue briefs); the round then goes on to Pages. */
  mergeCommitSha?: string | null;
  /** When that merge was seen: the round's deadline for Pages and the notification counts from here. */
  mergedAt?: string | null;
  createdAt: string;
}

export interface BriefOptions {
  maxCostUsd?: number;
  visibility?: "public" | "private";
  revisionMerge?: "auto" | "manual";
  verify?: boolean;
  allowWorkflows?: boolean;
}

/** A check as the verifier and the prompt see it: JavaScript to run in the page, or words. */
export type NormalizedCheck = { kind: "js"; code: string; text: string } | { kind: "text"; text: string };

export function normalizeCheck(check: Check): NormalizedCheck {
  if (typeof check !== "string") return { kind: "js", code: check.js, text: check.js };
  const trimmed = check.trim();
  if (/^js:/i.test(trimmed)) return { kind: "js", code: trimmed.slice(3).trim(), text: trimmed };
  if (looksLikeJavaScript(trimmed)) return { kind: "js", code: trimmed, text: trimmed };
  return { kind: "text", text: trimmed };
}

/** Bare checks such as `document.querySelector('#x') !== null` are JavaScript, as the course evaluator runs them. */
function looksLikeJavaScript(text: string): boolean {
  if (/^(!!)?(document|window|await|\(|async\s|\[|getComputedStyle|localStorage|JSON\.)/.test(text)) return true;
  return /[=!]==|&&|\|\||=>|\.querySelector/.test(text) && !/\s(the|a|an|is|has|should|must|page)\s/i.test(` ${text} `);
}
