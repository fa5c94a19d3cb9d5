import { z } from "zod";
import type { TextFile } from "./app-writer.js";

/** Caps on what a model may hand back for one call: enough for a static app, small enough for one commit. */
export const MAX_FILES = 40;
export const MAX_FILE_BYTES = 512 * 1024;
export const MAX_TOTAL_BYTES = 2 * 1024 * 1024;
const MAX_PATH_LENGTH = 255;

/** LICENSE, LICENCE, license.md, License.txt …: the app writes the MIT text itself, never the model. */
const LICENSE_NAME = /^licen[cs]e(\.[^/]*)?$/i;

export function isLicensePath(path: string): boolean {
  return LICENSE_NAME.test(path.split("/").pop() ?? "");
}

/** Models often write `./index.html`; that is the same file, so it is accepted and normalized. */
function stripDotSlash(path: unknown): unknown {
  return typeof path === "string" ? path.replace(/^(\.\/)+/, "") : path;
}

/** A repository-relative path that cannot escape the repository or touch git's own files. */
export const safePathSchema = z.preprocess(
  stripDotSlash,
  z
    .string()
    .min(1, "path is empty")
    .max(MAX_PATH_LENGTH, `path is longer than ${MAX_PATH_LENGTH} characters`)
    .refine((p) => !p.includes("\\"), "path must use '/' and contain no backslashes")
    .refine((p) => !p.startsWith("/") && !/^[A-Za-z]:/.test(p), "path must be relative to the repository root")
    .refine((p) => p.split("/").every((s) => s !== ""), "path must not contain empty segments ('//' or a trailing '/')")
    .refine((p) => p.split("/").every((s) => s !== ".." && s !== "."), "path must not contain '.' or '..' segments")
    .refine((p) => p.split("/").every((s) => s.toLowerCase() !== ".git"), "path must not be inside .git/")
    // eslint-disable-next-line no-control-regex
    .refine((p) => !/[\u0000-\u001f\u007f]/.test(p), "path must not contain control characters"),
);

const fileSchema = z.object({
  path: safePathSchema,
  content: z.string().refine((c) => Buffer.byteLength(c, "utf8") <= MAX_FILE_BYTES, `file is larger than ${MAX_FILE_BYTES / 1024} KB`),
});

/** The model's answer, as parsed. `deletions` is optional because json_object and plain answers may omit it. */
export const writerOutputSchema = z
  .object({
    files: z.array(fileSchema).max(MAX_FILES, `at most ${MAX_FILES} files`),
    deletions: z.array(safePathSchema).optional(),
    // A missing or long summary is not worth a repair call: it is defaulted or cut in parseWriterOutput.
    summary: z.string().optional(),
  })
  .superRefine((output, ctx) => {
    const total = output.files.reduce((sum, f) => sum + Buffer.byteLength(f.content, "utf8"), 0);
    if (total > MAX_TOTAL_BYTES) {
      ctx.addIssue({ code: "custom", path: ["files"], message: `files total ${total} bytes, more than ${MAX_TOTAL_BYTES / 1024 / 1024} MB` });
    }
    // Case-insensitive: `Index.html` and `index.html` collide in a clone on macOS or Windows.
    const seen = new Map<string, number>();
    output.files.forEach((file, index) => {
      const key = file.path.toLowerCase();
      const first = seen.get(key);
      if (first === undefined) seen.set(key, index);
      else ctx.addIssue({ code: "custom", path: ["files", index, "path"], message: `duplicate path ${file.path} (also files[${first}])` });
    });
    for (const [index, path] of (output.deletions ?? []).entries()) {
      if (seen.has(path.toLowerCase())) {
        ctx.addIssue({ code: "custom", path: ["deletions", index], message: `${path} is both written and deleted` });
      }
    }
  });

/**
 * The same shape as JSON Schema for `response_format: {type: "json_schema", strict: true}`. Strict mode wants
 * every property required and no additional properties, so `deletions` is required here (an empty array).
 */
export const writerOutputJsonSchema: { [key: string]: unknown } = {
  type: "object",
  additionalProperties: false,
  required: ["files", "deletions", "summary"],
  properties: {
    files: {
      type: "array",
      description: "Files to write, each with its full content. Paths are relative to the repository root, with '/' separators.",
      items: {
        type: "object",
        additionalProperties: false,
        required: ["path", "content"],
        properties: {
          path: { type: "string", description: "e.g. index.html, js/app.js" },
          content: { type: "string", description: "The complete UTF-8 text of the file." },
        },
      },
    },
    deletions: {
      type: "array",
      description: "Paths of existing files to delete; empty when nothing is deleted.",
      items: { type: "string" },
    },
    summary: { type: "string", description: "One paragraph on what was built or changed." },
  },
};

export const WRITER_OUTPUT_SCHEMA_NAME = "app_files";

export interface WriterOutput {
  files: TextFile[];
  deletions: string[];
  summary: string;
  /** What was dropped from the answer and why (e.g. a LICENSE the model wrote), for the log. */
  notes: string[];
}

/** The answer was not JSON, or not an app of the expected shape. Its message lists every problem. */
export class WriterOutputError extends Error {
  override name = "WriterOutputError";
}

/**
 * Parses a model's answer: strict JSON first, else the first ```json fence, else the first balanced {...}
 * block (providers without structured output wrap JSON in prose). Then validates it and drops LICENSE files.
 */
export function parseWriterOutput(text: string): WriterOutput {
  const value = extractJson(text);
  const result = writerOutputSchema.safeParse(value);
  if (!result.success) {
    const issues = result.error.issues.map((i) => `${formatPath(i.path)}: ${i.message}`);
    throw new WriterOutputError(`the answer does not match the expected shape: ${issues.join("; ")}`);
  }
  const notes: string[] = [];
  const files = result.data.files.filter((f) => {
    if (!isLicensePath(f.path)) return true;
    notes.push(`dropped ${f.path}: the app writes LICENSE itself`);
    return false;
  });
  const deletions = (result.data.deletions ?? []).filter((p) => {
    if (!isLicensePath(p)) return true;
    notes.push(`ignored the deletion of ${p}: LICENSE is the app's`);
    return false;
  });
  const summary = (result.data.summary ?? "").trim().slice(0, 2_000) || `Wrote ${files.length} file(s).`;
  return { files, deletions, summary, notes };
}

function extractJson(text: string): unknown {
  const trimmed = text.trim();
  if (trimmed === "") throw new WriterOutputError("the answer is empty");
  const direct = tryParse(trimmed);
  if (direct.ok) return direct.value;
  for (const match of trimmed.matchAll(/```(?:json|JSON)?[ \t]*\r?\n([\s\S]*?)\r?\n?```/g)) {
    const fenced = tryParse(match[1]!.trim());
    if (fenced.ok) return fenced.value;
  }
  const block = firstBalancedObject(trimmed);
  if (block !== null) {
    const parsed = tryParse(block);
    if (parsed.ok) return parsed.value;
  }
  throw new WriterOutputError(`the answer is not valid JSON (${direct.error})`);
}

function tryParse(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}

/** The first `{...}` whose braces balance, skipping braces inside JSON strings. */
function firstBalancedObject(text: string): string | null {
  const start = text.indexOf("{");
  if (start < 0) return null;
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === "\\") i++;
      else if (ch === '"') inString = false;
    } else if (ch === '"') inString = true;
    else if (ch === "{") depth++;
    else if (ch === "}" && --depth === 0) return text.slice(start, i + 1);
  }
  return null;
}

function formatPath(path: PropertyKey[]): string {
  if (path.length === 0) return "answer";
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : `${i === 0 ? "" : "."}${String(p)}`)).join("");
}
