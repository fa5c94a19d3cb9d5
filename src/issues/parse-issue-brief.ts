import { z } from "zod";
import { attachmentSchema, briefRequestSchema, checkSchema } from "../intake/brief-schema.js";
import { extractAttachments } from "./issue-attachments.js";
import { sanitizeUntrusted } from "./sanitize-untrusted.js";

/** The fields a brief issue (an issue form, or free text with a "Checks" heading) carries. */
export const issueBriefSchema = z.object({
  /** Given in the form's Task field, else null (the handler derives one from the title). */
  task: briefRequestSchema.shape.task.nullable(),
  brief: z.string().min(1, "the brief is empty: describe the app in the issue body (or the form's Brief field)").max(100_000),
  checks: z.array(checkSchema).max(200, "at most 200 checks"),
  evaluationUrl: z.url({ protocol: /^https?$/, error: "the evaluation URL must be an http(s) URL" }).nullable(),
  attachments: z.array(attachmentSchema).max(50, "at most 50 attached files"),
});

export type IssueBrief = z.infer<typeof issueBriefSchema>;

export type IssueBriefParse = { ok: true; brief: IssueBrief } | { ok: false; problems: string[] };

type Field = "task" | "brief" | "checks" | "evaluationUrl";

const HEADINGS: Record<string, Field> = {
  task: "task",
  brief: "brief",
  checks: "checks",
  "acceptance checks": "checks",
  "checks one per line": "checks",
  "evaluation url": "evaluationUrl",
};

/**
 * Reads an issue body into brief fields. The text is untrusted: it is sanitized first (see sanitizeUntrusted),
 * then attachment links become attachments. Issue forms render each field as a `### Label` section with
 * `_No response_` for an empty one; a free-form body is the brief, except for Task, Checks and Evaluation URL
 * sections, which are read the same way.
 */
export function parseIssueBrief(body: string | null | undefined, taken: Iterable<string> = []): IssueBriefParse {
  const { text, attachments } = extractAttachments(sanitizeUntrusted(body ?? ""), taken);
  const sections = splitSections(text);
  const field = (name: Field) => sections.known.get(name)?.trim() ?? "";
  const briefText = field("brief") || sections.rest.trim();
  const parsed = issueBriefSchema.safeParse({
    task: field("task").split("\n")[0]?.trim() || null,
    brief: briefText,
    checks: parseChecks(field("checks")),
    evaluationUrl: field("evaluationUrl").match(/\S+/)?.[0]?.replace(/^<|>$/g, "") ?? null,
    attachments,
  });
  if (parsed.success) return { ok: true, brief: parsed.data };
  return { ok: false, problems: parsed.error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`) };
}

/** Text for a revision (`/revise ...`, a review): sanitized, with its attachments. */
export function parseRevisionText(text: string, taken: Iterable<string> = []): { text: string; attachments: IssueBrief["attachments"] } {
  return extractAttachments(sanitizeUntrusted(text), taken);
}

/** A repository-friendly task name from an issue title: `Todo list (v2)` → `todo-list-v2`. */
export function slugForTitle(title: string, fallback: string): string {
  const slug = title
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 60)
    .replace(/-+$/, "");
  return slug || fallback;
}

function splitSections(text: string): { known: Map<Field, string>; rest: string } {
  const known = new Map<Field, string>();
  const rest: string[] = [];
  let current: Field | null = null;
  let fence: string | null = null;
  for (const line of text.split("\n")) {
    const fenceMark = /^\s*(`{3,}|~{3,})/.exec(line)?.[1];
    if (fenceMark && (!fence || fenceMark.startsWith(fence))) fence = fence ? null : fenceMark;
    const heading = fence || fenceMark ? null : /^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$/.exec(line)?.[1];
    if (heading !== undefined && heading !== null) {
      const key = heading.toLowerCase().replace(/[^a-z0-9 ]+/g, " ").replace(/\s+/g, " ").trim();
      current = HEADINGS[key] ?? null;
      if (current) {
        known.set(current, "");
        continue;
      }
    }
    if (current) {
      if (line.trim() === "_No response_") continue;
      known.set(current, `${known.get(current)}${line}\n`);
    } else {
      rest.push(line);
    }
  }
  return { known, rest: rest.join("\n") };
}

const LIST_ITEM = /^\s*(?:[-*+]|\d{1,3}[.)])\s+(?:\[[ xX]\]\s+)?/;

/** One check per line; in a list, the list items (a continuation line is joined to its item). */
function parseChecks(section: string): string[] {
  const lines = section.split("\n").filter((l) => l.trim() !== "" && !/^\s*(`{3,}|~{3,})/.test(l));
  if (!lines.some((l) => LIST_ITEM.test(l))) return lines.map((l) => l.trim());
  const checks: string[] = [];
  for (const line of lines) {
    if (LIST_ITEM.test(line)) checks.push(line.replace(LIST_ITEM, "").trim());
    else if (checks.length > 0 && /^\s+/.test(line)) checks[checks.length - 1] += ` ${line.trim()}`;
  }
  return checks.filter((c) => c !== "");
}
