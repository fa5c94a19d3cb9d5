import nock from "nock";
import { createBriefBot, type BriefBot } from "../../src/create-brief-bot.js";
import type { Clock } from "../../src/pipeline/pipeline-deps.js";
import { FakeGitHub } from "../helpers/fake-github.js";
import { SECRET, silentLog, testEnv, validBrief } from "../helpers/test-env.js";
import { newTestProbot, TEST_PRIVATE_KEY, WEBHOOK_SECRET } from "../fixtures/webhooks/github-app.js";

const privateKey = TEST_PRIVATE_KEY;
const REPO = "acme/sales-summary-a1b2c";
const PAGES = "https://acme.github.io/sales-summary-a1b2c/";
const CSV = "product,sales\na,10\nb,20\n";

/** What the fake model answers: a whole app for round 1 (10 text files with README), a change for round 2. */
function round1Answer() {
  const files = [
    { path: "index.html", content: "<!doctype html><html><head><title>Sales</title><script src=\"app.js\"></script></head><body><p id=\"total-sales\">30</p></body></html>" },
    { path: "app.js", content: "console.log('sales');\n" },
    { path: "style.css", content: "body { font-family: sans-serif; }\n" },
    { path: "README.md", content: "# Sales summary\n\nSums the sales column of data.csv.\n" },
    ...Array.from({ length: 6 }, (_, i) => ({ path: `lib/part-${i}.js`, content: `export const part${i} = ${i};\n` })),
  ];
  return { files, deletions: [], summary: "A page that sums data.csv into #total-sales." };
}

function round2Answer() {
  return {
    files: [
      { path: "index.html", content: "<!doctype html><html><head><title>Sales</title></head><body><p id=\"total-sales\">30</p><table id=\"product-sales\"></table></body></html>" },
      { path: "README.md", content: "# Sales summary\n\nNow with a per-product table.\n" },
    ],
    deletions: ["lib/part-5.js"],
    summary: "Adds the #product-sales table.",
  };
}

function modelReply(answer: unknown) {
  return {
    id: "chatcmpl-1",
    object: "chat.completion",
    created: 0,
    model: "test-model",
    choices: [{ index: 0, finish_reason: "stop", message: { role: "assistant", content: JSON.stringify(answer) } }],
    usage: { prompt_tokens: 1000, completion_tokens: 2000, total_tokens: 3000 },
  };
}

let github: FakeGitHub;
let bot: BriefBot;
let url: string;
let delays: number[];
let modelRequests: { messages: { role: string; content: unknown }[]; response_format?: { type: string } }[];

beforeEach(async () => {
  github = new FakeGitHub("acme");
  github.install();
  delays = [];
  modelRequests = [];
  const clock: Clock = {
    now: () => Date.now(),
    sleep: async (ms) => {
      delays.push(ms);
    },
  };
  const env = testEnv({
    APP_ID: "1",
    PRIVATE_KEY: privateKey,
    WEBHOOK_SECRET: WEBHOOK_SECRET,
    BRIEF_OWNER: "acme",
    OPENAI_API_KEY: "sk-test-key",
    OPENAI_BASE_URL: "https://llm.test/v1",
    LLM_MODEL: "test-model",
    VERIFY: "off",
  });
  const probot = newTestProbot(silentLog);
  // nock intercepts the global fetch; the private-address filter has its own tests (test/net).
  bot = createBriefBot(env, silentLog, { probot, clock, allowPrivateUrls: true });
  url = await bot.listen(0, "127.0.0.1");
});

afterEach(async () => {
  await bot.close();
  nock.cleanAll();
});

function modelAnswers(...answers: unknown[]) {
  return nock("https://llm.test")
    .post("/v1/chat/completions", (body: (typeof modelRequests)[number]) => {
      modelRequests.push(body);
      return true;
    })
    .times(answers.length)
    .reply(() => [200, modelReply(answers.shift())]);
}

async function submit(body: Record<string, unknown>): Promise<string> {
  const res = await fetch(`${url}/api/briefs`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  expect(res.status).toBe(200);
  return ((await res.json()) as { id: string }).id;
}

async function finished(id: string): Promise<Record<string, any>> {
  const end = Date.now() + 20_000;
  for (;;) {
    const res = await fetch(`${url}/api/briefs/${id}`, { headers: { authorization: `Bearer ${SECRET}` } });
    const status = (await res.json()) as Record<string, any>;
    if (["succeeded", "failed", "cancelled"].includes(status.state)) return status;
    if (Date.now() > end) throw new Error(`still ${status.state}: ${JSON.stringify(status)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test("round 1 through the route: one commit with everything, Pages live, then exactly the seven fields with backoff", async () => {
  const model = modelAnswers(round1Answer());
  const site = nock("https://acme.github.io").get("/sales-summary-a1b2c/").reply(404).get("/sales-summary-a1b2c/").reply(200, "<html></html>");
  const notified: unknown[] = [];
  const evaluator = nock("https://evaluator.example.com")
    .post("/notify", (b) => notified.push(b) > 0)
    .matchHeader("content-type", "application/json")
    .reply(503)
    .post("/notify", (b) => notified.push(b) > 0)
    .reply(502)
    .post("/notify", (b) => notified.push(b) > 0)
    .reply(200, {});

  const id = await submit(validBrief({ attachments: [{ name: "data.csv", url: `data:text/csv;base64,${Buffer.from(CSV).toString("base64")}` }] }));
  const status = await finished(id);

  expect(status.state).toBe("succeeded");
  const commits = github.commitsOn(REPO);
  expect(commits).toHaveLength(2); // auto_init's, then the round's
  expect(commits[0]!.message).toContain(`Brief: ${id}`);
  const files = github.filesAt(REPO);
  expect([...files.keys()].sort()).toEqual(
    [".nojekyll", "LICENSE", "README.md", "app.js", "data.csv", "index.html", "style.css", ...Array.from({ length: 6 }, (_, i) => `lib/part-${i}.js`)].sort(),
  );
  expect(files.get("data.csv")!.toString()).toBe(CSV);
  expect(files.get("LICENSE")!.toString()).toMatch(new RegExp(`^MIT License\\n\\nCopyright \\(c\\) ${new Date().getUTCFullYear()} acme\\n`));
  expect(files.get("README.md")!.toString()).toContain("Sums the sales column");

  // 10 text files from the model and the brief: create, tree, commit, ref update, Pages. No blob per file.
  expect(github.writes.map((w) => `${w.method} ${w.path}`)).toEqual([
    "POST /orgs/acme/repos",
    `POST /repos/${REPO}/git/trees`,
    `POST /repos/${REPO}/git/commits`,
    `PATCH /repos/${REPO}/git/refs/heads/main`,
    `POST /repos/${REPO}/pages`,
  ]);
  expect(github.writes.length).toBeLessThanOrEqual(7);
  expect(github.validationErrors).toEqual([]);

  const payload = { email: "student@example.com", task: "sales-summary-a1b2c", round: 1, nonce: "nonce-1", repo_url: `https://github.com/${REPO}`, commit_sha: commits[0]!.sha, pages_url: PAGES };
  expect(notified).toEqual([payload, payload, payload]);
  // Pages: one poll while building, one while the page still 404s; then the notification backoff 1 s, 2 s.
  expect(delays).toEqual([5_000, 7_500, 1_000, 2_000]);
  expect(status.notifications.map((n: { status: number }) => n.status)).toEqual([503, 502, 200]);
  expect(status).toMatchObject({ repo_url: `https://github.com/${REPO}`, pages_url: PAGES, commit_sha: commits[0]!.sha, error: null });
  expect(status.usage).toEqual({ prompt_tokens: 1000, completion_tokens: 2000, cost_usd: 0.00135, calls: 1 });

  // The prompt carried the brief, every check (JavaScript verbatim) and the attachment, with no secret.
  const prompt = JSON.stringify(modelRequests[0]!.messages);
  expect(prompt).toContain("sums the sales column of data.csv");
  expect(prompt).toContain("document.querySelector('#total-sales') !== null");
  expect(prompt).toContain("data.csv");
  expect(prompt).not.toContain(SECRET);
  expect(modelRequests[0]!.response_format?.type).toBe("json_schema");
  for (const scope of [model, site, evaluator]) expect(scope.pendingMocks()).toEqual([]);
});

test("the same round 1 sent three times makes one repository, one commit and one notification", async () => {
  modelAnswers(round1Answer());
  nock("https://acme.github.io").get("/sales-summary-a1b2c/").reply(200, "ok");
  github.buildingPolls = 0;
  const evaluator = nock("https://evaluator.example.com").post("/notify").reply(200, {});
  const ids = [await submit(validBrief()), await submit(validBrief()), await submit(validBrief())];
  expect(new Set(ids).size).toBe(1);
  expect((await finished(ids[0]!)).state).toBe("succeeded");
  expect(github.requests.filter((r) => r.method === "POST" && r.path === "/orgs/acme/repos")).toHaveLength(1);
  expect(github.commitsOn(REPO)).toHaveLength(2);
  expect(evaluator.pendingMocks()).toEqual([]);
});

test("round 1 re-sent with a new nonce reuses the repository, commits nothing new and notifies once more", async () => {
  modelAnswers(round1Answer(), round1Answer());
  nock("https://acme.github.io").get("/sales-summary-a1b2c/").times(2).reply(200, "ok");
  github.buildingPolls = 0;
  const nonces: string[] = [];
  const evaluator = nock("https://evaluator.example.com")
    .post("/notify", (b: { nonce: string }) => nonces.push(b.nonce) > 0)
    .times(2)
    .reply(200, {});
  expect((await finished(await submit(validBrief()))).state).toBe("succeeded");
  const again = await finished(await submit(validBrief({ nonce: "nonce-2" })));
  expect(again.state).toBe("succeeded");
  expect(github.requests.filter((r) => r.path === "/orgs/acme/repos")).toHaveLength(1);
  expect(github.commitsOn(REPO)).toHaveLength(2);
  expect(nonces).toEqual(["nonce-1", "nonce-2"]);
  expect(evaluator.pendingMocks()).toEqual([]);
  expect(github.validationErrors).toEqual([]);
});

test("round 2 opens a pull request, merges it, and notifies with the merge commit and the new nonce", async () => {
  modelAnswers(round1Answer(), round2Answer());
  nock("https://acme.github.io").get("/sales-summary-a1b2c/").times(2).reply(200, "ok");
  github.buildingPolls = 0;
  const notified: Record<string, unknown>[] = [];
  nock("https://evaluator.example.com").post("/notify", (b) => notified.push(b) > 0).times(2).reply(200, {});
  expect((await finished(await submit(validBrief()))).state).toBe("succeeded");
  const writesAfterRound1 = github.writes.length;

  const id2 = await submit(validBrief({ round: 2, nonce: "nonce-r2", brief: "Add a #product-sales table with one row per product.", checks: ["js: !!document.querySelector('#product-sales')"] }));
  const status = await finished(id2);
  expect(status.state).toBe("succeeded");

  const repo = github.repos.get(REPO)!;
  expect(repo.pulls).toHaveLength(1);
  const pr = repo.pulls[0]!;
  expect(pr).toMatchObject({ head: "brief-bot/round-2", base: "main", state: "closed" });
  expect(pr.body).toContain("Add a #product-sales table");
  expect(pr.body).toContain("!!document.querySelector('#product-sales')");
  expect(pr.body).toContain("Adds the #product-sales table.");

  const files = github.filesAt(REPO);
  expect(files.get("index.html")!.toString()).toContain('id="product-sales"');
  expect(files.get("README.md")!.toString()).toContain("per-product table");
  expect(files.has("lib/part-5.js")).toBe(false);
  expect(files.has("LICENSE")).toBe(true);
  const main = github.commitsOn(REPO);
  expect(main).toHaveLength(3);
  expect(status.commit_sha).toBe(main[0]!.sha);
  expect(status.pr_url).toBe(`https://github.com/${REPO}/pull/1`);
  expect(status.pages_url).toBe(PAGES);

  // The revise prompt showed the model the current files.
  expect(JSON.stringify(modelRequests[1]!.messages)).toContain("lib/part-5.js");
  // Pages already enabled: the POST answers 409 and the settings are read back, already right.
  expect(github.writes.slice(writesAfterRound1).map((w) => `${w.method} ${w.path}`)).toEqual([
    `POST /repos/${REPO}/git/trees`,
    `POST /repos/${REPO}/git/commits`,
    `POST /repos/${REPO}/git/refs`,
    `POST /repos/${REPO}/pulls`,
    `PUT /repos/${REPO}/pulls/1/merge`,
    `POST /repos/${REPO}/pages`,
  ]);
  expect(notified[1]).toEqual({ email: "student@example.com", task: "sales-summary-a1b2c", round: 2, nonce: "nonce-r2", repo_url: `https://github.com/${REPO}`, commit_sha: main[0]!.sha, pages_url: PAGES });
  expect(github.validationErrors).toEqual([]);
});

test("a round 2 whose task has no round 1 fails clearly and creates nothing", async () => {
  const id = await submit(validBrief({ task: "never-built", round: 2, nonce: "r2" }));
  const status = await finished(id);
  expect(status.state).toBe("failed");
  expect(status.error).toBe("round 2 of task never-built has no earlier round with a repository");
  expect(github.writes).toEqual([]);
});

test("a model that answers no valid JSON twice fails the brief before anything is written to GitHub", async () => {
  const garbage = nock("https://llm.test")
    .post("/v1/chat/completions")
    .times(2)
    .reply(200, { ...modelReply({}), choices: [{ index: 0, finish_reason: "stop", message: { role: "assistant", content: "Sure! Here is your app: <html>" } }] });
  const status = await finished(await submit(validBrief()));
  expect(status.state).toBe("failed");
  expect(status.error).toMatch(/not a valid app/);
  expect(github.writes).toEqual([]);
  expect(garbage.pendingMocks()).toEqual([]);
});

test("an existing repository that brief-bot did not create is never touched", async () => {
  github.addRepo("acme", "sales-summary-a1b2c");
  modelAnswers(round1Answer());
  const status = await finished(await submit(validBrief()));
  expect(status.state).toBe("failed");
  expect(status.error).toBe("repository acme/sales-summary-a1b2c already exists and was not created by brief-bot");
  expect(github.writes).toEqual([]);
});

describe("with Chromium verifying before the commit", () => {
  let verifying: BriefBot;
  let verifyingUrl: string;
  beforeEach(async () => {
    await bot.close();
    const env = testEnv({ APP_ID: "1", PRIVATE_KEY: privateKey, WEBHOOK_SECRET: WEBHOOK_SECRET, BRIEF_OWNER: "acme", OPENAI_API_KEY: "sk-test-key", OPENAI_BASE_URL: "https://llm.test/v1", LLM_MODEL: "test-model", VERIFY: "on" });
    const probot = newTestProbot(silentLog);
    verifying = createBriefBot(env, silentLog, { probot, clock: { now: () => Date.now(), sleep: async () => undefined }, allowPrivateUrls: true });
    verifyingUrl = await verifying.listen(0, "127.0.0.1");
    bot = verifying;
    url = verifyingUrl;
  });

  test("a failing check goes back to the model, and the repaired app ships with every check passing", async () => {
    const broken = {
      files: [
        { path: "index.html", content: "<!doctype html><html><head><title>Sales</title><script src=\"app.js\"></script></head><body><p id=\"total\">30</p></body></html>" },
        { path: "app.js", content: "document.title = 'Sales';\n" },
      ],
      deletions: [],
      summary: "A sales page.",
    };
    const repaired = {
      files: [{ path: "index.html", content: "<!doctype html><html><head><title>Sales</title><script src=\"app.js\"></script></head><body><p id=\"total-sales\">30</p></body></html>" }],
      deletions: [],
      summary: "Renames #total to #total-sales.",
    };
    modelAnswers(broken, repaired);
    github.buildingPolls = 0;
    nock("https://acme.github.io").get("/sales-summary-a1b2c/").reply(200, "ok");
    nock("https://evaluator.example.com").post("/notify").reply(200, {});

    const status = await finished(await submit(validBrief()));

    expect(status.state).toBe("succeeded");
    expect(github.filesAt(REPO).get("index.html")!.toString()).toContain('id="total-sales"');
    expect(github.commitsOn(REPO)).toHaveLength(2);
    expect(status.verification.local).toMatchObject({ status: "passed", attempts: 2, passed: 2, total: 3 }); // the third check is words, for a person or a judge
    expect(status.usage.calls).toBe(2);
    // The repair prompt quoted the failing check and what the browser said.
    const repairPrompt = JSON.stringify(modelRequests[1]!.messages);
    expect(repairPrompt).toContain("document.querySelector('#total-sales') !== null");
    expect(repairPrompt).toMatch(/check failed/);
  });
});
