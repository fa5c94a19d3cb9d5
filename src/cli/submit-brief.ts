import { readFile } from "node:fs/promises";
import { z } from "zod";

/** The placeholder secret in examples/*.json: never a real one. */
export const PLACEHOLDER_SECRET = "change-me";

/** A failure the client reports and exits 2 on: a bad file, a refused request, an unreachable server. */
export class ClientError extends Error {
  override name = "ClientError";
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

const acceptedSchema = z.object({
  status: z.literal("accepted"),
  id: z.string().min(1),
  status_url: z.string(),
  duplicate: z.boolean().optional(),
});
export type AcceptedBrief = z.infer<typeof acceptedSchema>;

const checkResultSchema = z.object({
  check: z.string(),
  outcome: z.string(),
  message: z.string().optional(),
});

/** One verification run (`local`: before committing; `live`: against the published page). */
const verificationRunSchema = z.looseObject({
  status: z.string(),
  skipped_reason: z.string().nullish(),
  error: z.string().optional(),
  passed: z.number().optional(),
  total: z.number().optional(),
  checks: z.array(checkResultSchema).optional(),
});
export type VerificationRun = z.infer<typeof verificationRunSchema>;

/** The parts of `GET /api/briefs/:id` the client shows; the rest is kept for `--json`. */
const statusSchema = z.looseObject({
  id: z.string(),
  task: z.string(),
  round: z.number(),
  state: z.string(),
  steps: z.array(z.looseObject({ name: z.string(), state: z.string(), error: z.string().nullish() })),
  repo_url: z.string().nullable(),
  pages_url: z.string().nullable(),
  commit_sha: z.string().nullable(),
  pr_url: z.string().nullable(),
  verification: z.looseObject({ local: verificationRunSchema.optional(), live: verificationRunSchema.optional() }).nullable(),
  notifications: z.array(z.unknown()),
  error: z.string().nullable(),
});
export type BriefStatusJson = z.infer<typeof statusSchema>;

/**
 * Reads a brief in the route's JSON format. A secret given on the command line (or in BRIEF_SECRET)
 * replaces the file's, so example files can keep a placeholder. Returns the body and the secret to use.
 */
export async function loadBriefFile(path: string, secret: string | undefined): Promise<{ body: Record<string, unknown>; secret: string }> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new ClientError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    throw new ClientError(`${path} is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw new ClientError(`${path} must hold a JSON object (a brief)`);
  const brief = body as Record<string, unknown>;
  const effective = secret ?? (typeof brief.secret === "string" ? brief.secret : undefined);
  if (!effective || effective === PLACEHOLDER_SECRET) {
    throw new ClientError(`${path} has no usable secret: pass --secret or set BRIEF_SECRET to the server's BRIEF_SECRET`);
  }
  return { body: { ...brief, secret: effective }, secret: effective };
}

/** `POST /api/briefs`; the server's `error` message becomes the ClientError's. */
export async function submitBrief(baseUrl: string, body: Record<string, unknown>, doFetch: typeof fetch = fetch): Promise<AcceptedBrief> {
  const res = await request(doFetch, `${trimSlash(baseUrl)}/api/briefs`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return parseAnswer(acceptedSchema, res, "the brief route");
}

/** `GET /api/briefs/:id` with the secret as a bearer token. */
export async function getBriefStatus(baseUrl: string, id: string, secret: string, doFetch: typeof fetch = fetch): Promise<BriefStatusJson> {
  const res = await request(doFetch, briefUrl(baseUrl, id), { headers: { authorization: `Bearer ${secret}` } });
  return parseAnswer(statusSchema, res, "the status route");
}

export function briefUrl(baseUrl: string, id: string): string {
  return `${trimSlash(baseUrl)}/api/briefs/${encodeURIComponent(id)}`;
}

/** The server's `{error}` message when it sent one, else the status line. */
export async function errorMessage(res: Response): Promise<string> {
  const text = await res.text().catch(() => "");
  try {
    const body = JSON.parse(text) as unknown;
    if (typeof body === "object" && body !== null && typeof (body as { error?: unknown }).error === "string") {
      return (body as { error: string }).error;
    }
  } catch {
    // not JSON: the status line says enough
  }
  return `HTTP ${res.status} ${res.statusText}`.trim();
}

async function request(doFetch: typeof fetch, url: string, init: RequestInit): Promise<Response> {
  let res: Response;
  try {
    res = await doFetch(url, init);
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw new ClientError(`cannot reach ${new URL(url).origin}: ${cause?.code ?? cause?.message ?? (error as Error).message}`);
  }
  if (!res.ok) throw new ClientError(`${res.status}: ${await errorMessage(res)}`, res.status);
  return res;
}

async function parseAnswer<T>(schema: z.ZodType<T>, res: Response, what: string): Promise<T> {
  const parsed = schema.safeParse(await res.json().catch(() => undefined));
  if (!parsed.success) throw new ClientError(`${what} answered something unexpected: ${parsed.error.issues[0]?.message ?? "unknown shape"}`);
  return parsed.data;
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, "");
}
