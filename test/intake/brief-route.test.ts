import { createBriefBot, type BriefBot } from "../../src/create-brief-bot.js";
import { OfflineWriter } from "../../src/model/offline-writer.js";
import { SkippedVerifier } from "../../src/verify/skipped-verifier.js";
import { recordingQueue, SECRET, silentLog, testEnv, validBrief } from "../helpers/test-env.js";

let bot: BriefBot;
let url: string;
let queue: ReturnType<typeof recordingQueue>;

beforeEach(async () => {
  queue = recordingQueue();
  bot = createBriefBot(testEnv({ BRIEF_MAX_BYTES: "200000" }), silentLog, {
    queue,
    writer: new OfflineWriter(),
    verifier: new SkippedVerifier(),
    forgeFor: async () => {
      throw new Error("route tests run no job");
    },
  });
  url = await bot.listen(0, "127.0.0.1");
});

afterEach(async () => {
  await bot.close();
});

function post(body: unknown, init: { path?: string; contentType?: string } = {}) {
  return fetch(`${url}${init.path ?? "/api/briefs"}`, {
    method: "POST",
    headers: { "content-type": init.contentType ?? "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

function jobCount(): number {
  return (bot.store.db.prepare("SELECT COUNT(*) AS n FROM jobs").get() as { n: number }).n;
}

describe("POST /api/briefs", () => {
  test("a valid brief is stored with a queued job and answered with its id", async () => {
    const res = await post(validBrief());
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ status: "accepted", task: "sales-summary-a1b2c", round: 1, nonce: "nonce-1" });
    expect(body.id).toMatch(/^br_/);
    expect(body.status_url).toBe(`${url}/api/briefs/${body.id}`);
    expect(queue.enqueued).toEqual([body.id]);
    expect(bot.store.getJob(body.id as string)?.state).toBe("queued");
    const stored = bot.store.getBrief(body.id as string)!;
    expect(stored.attachments[0]!.name).toBe("data.csv");
    expect(JSON.stringify(stored)).not.toContain(SECRET);
  });

  test("the seed's /api-endpoint path accepts the same brief", async () => {
    const res = await post(validBrief(), { path: "/api-endpoint" });
    expect(res.status).toBe(200);
    expect(jobCount()).toBe(1);
  });

  test("the same task, round and nonce again gets the same id and starts nothing new", async () => {
    const first = (await (await post(validBrief())).json()) as { id: string };
    const second = (await (await post(validBrief())).json()) as { id: string; duplicate: boolean };
    expect(second.id).toBe(first.id);
    expect(second.duplicate).toBe(true);
    expect(queue.enqueued).toEqual([first.id]);
    expect(jobCount()).toBe(1);
  });

  test("a new nonce for the same task and round is a new brief", async () => {
    const first = (await (await post(validBrief())).json()) as { id: string };
    const second = (await (await post(validBrief({ nonce: "nonce-2" }))).json()) as { id: string };
    expect(second.id).not.toBe(first.id);
    expect(jobCount()).toBe(2);
  });

  test.each([
    ["a wrong secret", validBrief({ secret: "nope-nope" }), 403, /secret/],
    ["a missing secret", (() => { const b: Record<string, unknown> = validBrief(); delete b.secret; return b; })(), 403, /secret/],
    ["a round of 0", validBrief({ round: 0 }), 400, /round must be 1 or more/],
    ["a fractional round", validBrief({ round: 1.5 }), 400, /round must be an integer/],
    ["a missing brief", validBrief({ brief: undefined }), 400, /brief/],
    ["a bad email", validBrief({ email: "not-an-email" }), 400, /email/],
    ["an undecodable data URI", validBrief({ attachments: [{ name: "x.png", url: "data:image/png;base64,@@@" }] }), 400, /attachment x\.png: invalid base64/],
    ["an attachment name with a slash", validBrief({ attachments: [{ name: "a/b.txt", url: "data:,hi" }] }), 400, /path separators/],
    ["an attachment name with ..", validBrief({ attachments: [{ name: "a..txt", url: "data:,hi" }] }), 400, /'\.\.'/],
    ["an attachment name with a leading dot", validBrief({ attachments: [{ name: ".env", url: "data:,hi" }] }), 400, /start with a dot/],
    ["an attachment url that is neither data: nor http(s)", validBrief({ attachments: [{ name: "a.txt", url: "file:///etc/passwd" }] }), 400, /data: URI or an http/],
  ])("%s is refused and creates no job", async (_name, body, status, message) => {
    const res = await post(body);
    expect(res.status).toBe(status);
    const json = (await res.json()) as { error: string; details?: { path: string; message: string }[] };
    expect(json.error).toMatch(message);
    expect(JSON.stringify(json)).not.toMatch(/at .*\.ts:\d+/);
    expect(jobCount()).toBe(0);
    expect(queue.enqueued).toEqual([]);
  });

  test("schema violations list each problem with its path", async () => {
    const res = await post(validBrief({ round: "two", checks: [{ js: "" }] }));
    expect(res.status).toBe(400);
    const json = (await res.json()) as { details: { path: string; message: string }[] };
    expect(json.details.map((d) => d.path)).toEqual(expect.arrayContaining(["round", "checks.0.js"]));
  });

  test("invalid JSON is a 400", async () => {
    const res = await post("{not json");
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(/not valid JSON/);
    expect(jobCount()).toBe(0);
  });

  test("a non-JSON content type is a 415", async () => {
    const res = await post(JSON.stringify(validBrief()), { contentType: "text/plain" });
    expect(res.status).toBe(415);
    expect(jobCount()).toBe(0);
  });

  test("a body over BRIEF_MAX_BYTES is a 413 while it is still streaming", async () => {
    let sent = 0;
    const total = 20_000_000;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= total) return controller.close();
        const chunk = new TextEncoder().encode(sent === 0 ? `{"secret":"${SECRET}","brief":"` : "x".repeat(16_384));
        sent += chunk.length;
        controller.enqueue(chunk);
      },
    });
    const res = await fetch(`${url}/api/briefs`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: stream,
      duplex: "half",
    } as RequestInit);
    expect(res.status).toBe(413);
    expect(sent).toBeLessThan(total);
    expect(jobCount()).toBe(0);
  });

  test("GET on the brief route is a 405", async () => {
    const res = await fetch(`${url}/api/briefs`);
    expect(res.status).toBe(405);
  });
});

describe("GET /api/briefs/:id", () => {
  test("answers the status with a bearer token, 401 without, 404 for unknown ids", async () => {
    const { id } = (await (await post(validBrief())).json()) as { id: string };
    const auth = { authorization: `Bearer ${SECRET}` };
    const ok = await fetch(`${url}/api/briefs/${id}`, { headers: auth });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ id, state: "queued", task: "sales-summary-a1b2c", round: 1, steps: [], repo_url: null, notifications: [] });
    expect((await fetch(`${url}/api/briefs/${id}`)).status).toBe(401);
    expect((await fetch(`${url}/api/briefs/${id}`, { headers: { authorization: "Bearer wrong-token" } })).status).toBe(401);
    expect((await fetch(`${url}/api/briefs/br_unknown`, { headers: auth })).status).toBe(404);
  });

  test("the events stream replays past events and ends when the job ends", async () => {
    const { id } = (await (await post(validBrief())).json()) as { id: string };
    bot.store.appendEvent(id, "step.started", { step: "generate" });
    bot.store.finishJob(id, null, "failed", "boom");
    bot.store.appendEvent(id, "failed", { error: "boom" });
    const res = await fetch(`${url}/api/briefs/${id}/events`, { headers: { authorization: `Bearer ${SECRET}` } });
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    const text = await res.text();
    expect(text).toMatch(/event: queued\n/);
    expect(text).toMatch(/event: step.started\ndata: \{"step":"generate"/);
    expect(text).toMatch(/event: failed\n/);
  });
});

describe("GET /health", () => {
  test("names the store, the queue, the forge and the model", async () => {
    const res = await fetch(`${url}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      status: "healthy",
      components: { store: { ok: true, kind: "sqlite" }, queue: { kind: "recording", ok: true }, forge: "custom", llm: { kind: "offline", configured: false } },
    });
  });
});
