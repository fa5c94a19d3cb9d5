import { join } from "node:path";
import nock from "nock";
import type { Probot } from "probot";
import { createIssueStatusReporter } from "../../src/issues/issue-status-reporter.js";
import { IssueIndex } from "../../src/issues/issue-index.js";
import { statusMarker } from "../../src/issues/render-status-comment.js";
import { BriefStore } from "../../src/store/brief-store.js";
import type { Brief } from "../../src/intake/brief-schema.js";
import type { StatusReporter } from "../../src/pipeline/pipeline-deps.js";
import { expectValidGitHubRequests, githubApi, type GitHubApi } from "../helpers/openapi.js";
import { silentLog, tempDir } from "../helpers/test-env.js";
import { createTestProbot, installationToken, INSTALLATION_ID } from "../fixtures/webhooks/github-app.js";

const ISSUE = "/repos/Codertocat/Hello-World/issues";
const GENERATED = "/repos/Codertocat/sales-summary";
const SHA = "0123456789abcdef0123456789abcdef01234567";

let store: BriefStore;
let probot: Probot;
let api: GitHubApi;
let reporter: StatusReporter;

beforeEach(async () => {
  store = new BriefStore(join(tempDir(), "briefs.sqlite"));
  probot = await createTestProbot(() => {}, silentLog);
  reporter = createIssueStatusReporter({ auth: (id) => probot.auth(id), store, log: silentLog });
  api = githubApi();
  installationToken(api.scope);
});

afterEach(() => {
  const pending = api.scope.pendingMocks();
  nock.cleanAll();
  store.close();
  expect(pending).toEqual([]);
});

function issueBrief(overrides: Partial<Brief> = {}): Brief {
  return store.createBrief({
    source: "issue",
    email: null,
    task: "sales-summary",
    round: 1,
    nonce: "issue-1-1",
    brief: "Show the total sales.",
    checks: ["js: document.querySelector('#total-sales') !== null"],
    evaluationUrl: null,
    attachments: [],
    owner: "Codertocat",
    issue: { owner: "Codertocat", repo: "Hello-World", number: 1, installationId: INSTALLATION_ID },
    options: { revisionMerge: "manual" },
    mergeCommitSha: null,
    ...overrides,
  }).brief;
}

function runStep(brief: Brief, name: string, state: "done" | "failed" | "running" = "done", output: unknown = {}): void {
  store.startStep(brief.id, name);
  if (state !== "running") store.finishStep(brief.id, name, state, output, state === "failed" ? "the check timed out" : null);
}

function bodies(method: string, path: string): string[] {
  return api.bodiesOf(method, path).map((b) => (b as { body: string }).body);
}

test("the reporter creates one status comment, edits that same comment later and ends with the links, a check run and a rocket", async () => {
  const brief = issueBrief();
  const marker = statusMarker(brief.id);
  api.scope
    .get(`${ISSUE}/1/comments`)
    .query({ per_page: 100 })
    .reply(200, [{ id: 5, body: "Looks great" }])
    .post(`${ISSUE}/1/comments`)
    .reply(201, { id: 77 })
    .patch("/repos/Codertocat/Hello-World/issues/comments/77")
    .times(2)
    .reply(200, { id: 77 })
    .post(`${GENERATED}/check-runs`)
    .reply(201, { id: 500 })
    .post(`${ISSUE}/1/reactions`, { content: "rocket" })
    .reply(201, { id: 1, content: "rocket" })
    .post(`${ISSUE}/1/comments`, { body: "Live: https://codertocat.github.io/sales-summary/ (round 1)" })
    .reply(201, { id: 78 });

  runStep(brief, "attachments", "running");
  await reporter.update(brief, "step");
  runStep(brief, "attachments");
  runStep(brief, "generate", "running");
  await reporter.update(brief, "step");
  for (const name of ["generate", "verify", "repository", "commit", "pages", "verify-live", "notify"]) runStep(brief, name);
  store.mergeResult(brief.id, {
    repo_url: "https://github.com/Codertocat/sales-summary",
    repo_full_name: "Codertocat/sales-summary",
    pages_url: "https://codertocat.github.io/sales-summary/",
    commit_sha: SHA,
    commit_url: `https://github.com/Codertocat/sales-summary/commit/${SHA}`,
    usage: { prompt_tokens: 1200, completion_tokens: 800, cost_usd: 0.0123, calls: 1 },
    verification: { local: { status: "passed", passed: 1, total: 1, checks: [{ check: "document.querySelector('#total-sales') !== null", kind: "js", outcome: "pass" }] } },
  });
  store.finishJob(brief.id, null, "succeeded");
  await reporter.update(brief, "succeeded");

  const created = bodies("POST", `${ISSUE}/1/comments`);
  expect(created[0]).toContain(marker);
  expect(created[0]).toContain("- ⏳ Load attachments");
  expect(created).toHaveLength(2);
  const [second, last] = bodies("PATCH", "/repos/Codertocat/Hello-World/issues/comments/77");
  expect(second).toContain(marker);
  expect(second).toContain("- ✅ Load attachments\n- ⏳ Generate the app\n- ⬜ Verify in a browser");
  expect(last).toContain("✅ done");
  expect(last).toContain("[repository](https://github.com/Codertocat/sales-summary)");
  expect(last).toContain("[live page](https://codertocat.github.io/sales-summary/)");
  expect(last).toContain(`[commit \`0123456\`](https://github.com/Codertocat/sales-summary/commit/${SHA})`);
  expect(last).toContain("2,000 tokens");
  expect(last).toContain("$0.0123");
  expect(last).toContain("**Checks:** 1 of 1 passed");
  expect(api.bodiesOf("POST", `${GENERATED}/check-runs`)[0]).toMatchObject({ name: "brief-bot", head_sha: SHA, status: "completed", conclusion: "success", output: { title: "1 of 1 checks passed" } });
  expect(store.getValue(`status-comment:${brief.id}`)).toBe(77);
  expectValidGitHubRequests(api);
});

test("a failure shows the reason and what to do, and ends with a confused reaction", async () => {
  const brief = issueBrief();
  store.setValue(`status-comment:${brief.id}`, 77);
  api.scope
    .patch("/repos/Codertocat/Hello-World/issues/comments/77")
    .reply(200, { id: 77 })
    .post(`${ISSUE}/1/reactions`, { content: "confused" })
    .reply(201, { id: 2, content: "confused" });
  runStep(brief, "attachments");
  runStep(brief, "generate", "failed");
  store.mergeResult(brief.id, { failure: { message: "the model's answer was not valid JSON twice", hint: "shorten the brief or raise max_cost_usd" } });
  store.finishJob(brief.id, null, "failed", "the model's answer was not valid JSON twice");

  await reporter.update(brief, "failed");

  const [body] = bodies("PATCH", "/repos/Codertocat/Hello-World/issues/comments/77");
  expect(body).toContain("❌ failed");
  expect(body).toContain("- ❌ Generate the app: the check timed out");
  expect(body).toContain("**What went wrong:** the model's answer was not valid JSON twice");
  expect(body).toContain("**What to do:** shorten the brief or raise max_cost_usd");
  expect(body).toContain("`/retry`");
  expectValidGitHubRequests(api);
});

test("after a crash that lost the comment id, the marker finds the comment on a later page and it is edited, not duplicated", async () => {
  const brief = issueBrief();
  api.scope
    .get(`${ISSUE}/1/comments`)
    .query({ per_page: 100 })
    .reply(200, [{ id: 5, body: "first" }], { link: `<https://api.github.com${ISSUE}/1/comments?per_page=100&page=2>; rel="next"` })
    .get(`${ISSUE}/1/comments`)
    .query({ per_page: 100, page: 2 })
    .reply(200, [{ id: 91, body: `${statusMarker(brief.id)}\nold status` }])
    .patch("/repos/Codertocat/Hello-World/issues/comments/91")
    .reply(200, { id: 91 });
  runStep(brief, "attachments", "running");

  await reporter.update(brief, "step");

  expect(api.writes().filter((w) => w.method === "POST" && w.path.endsWith("/comments"))).toEqual([]);
  expect(store.getValue(`status-comment:${brief.id}`)).toBe(91);
});

test("a revision waiting for review links its pull request, indexes it and asks the requester to review", async () => {
  const brief = issueBrief({ round: 2, nonce: "comment-9" });
  new IssueIndex(store).setRequester(brief.id, "octocat");
  store.setValue(`status-comment:${brief.id}`, 77);
  for (const name of ["attachments", "repository", "generate", "verify"]) runStep(brief, name);
  runStep(brief, "commit", "done", { sha: SHA, htmlUrl: "", created: true, branch: "brief-bot/round-2" });
  runStep(brief, "pull-request", "done", { number: 2 });
  store.mergeResult(brief.id, {
    repo_url: "https://github.com/Codertocat/sales-summary",
    repo_full_name: "Codertocat/sales-summary",
    pr_url: "https://github.com/Codertocat/sales-summary/pull/2",
    pr_number: 2,
    verification: { local: { status: "skipped", skipped_reason: "no browser found", passed: 0, total: 1, checks: [] } },
  });
  api.scope
    .patch("/repos/Codertocat/Hello-World/issues/comments/77")
    .reply(200, { id: 77 })
    .post(`${GENERATED}/check-runs`)
    .reply(201, { id: 501 })
    .post(`${GENERATED}/pulls/2/requested_reviewers`, { reviewers: ["octocat"] })
    .reply(422, { message: "Review cannot be requested from pull request author." });

  await reporter.update(brief, "awaiting-review");

  const [body] = bodies("PATCH", "/repos/Codertocat/Hello-World/issues/comments/77");
  expect(body).toContain("[pull request #2](https://github.com/Codertocat/sales-summary/pull/2)");
  expect(body).toContain("⬜ Merged by a reviewer (merge the pull request when it looks right)");
  expect(api.bodiesOf("POST", `${GENERATED}/check-runs`)[0]).toMatchObject({ head_sha: SHA, conclusion: "neutral" });
  expect(new IssueIndex(store).briefOfPullRequest("Codertocat/sales-summary", 2)?.id).toBe(brief.id);
  expectValidGitHubRequests(api);
});

test("GitHub errors are logged, never thrown to the pipeline", async () => {
  const brief = issueBrief();
  api.scope.get(`${ISSUE}/1/comments`).query({ per_page: 100 }).reply(502, { message: "Bad Gateway" });

  await expect(reporter.update(brief, "step")).resolves.toBeUndefined();
});

test("route briefs are not the reporter's business", async () => {
  nock.cleanAll();
  api = githubApi();
  const brief = issueBrief({ source: "route", issue: null, nonce: "route-1" });

  await reporter.update(brief, "succeeded");

  expect(api.requests).toEqual([]);
});
