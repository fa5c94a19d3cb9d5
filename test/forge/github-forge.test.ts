import { generateKeyPairSync } from "node:crypto";
import nock from "nock";
import { pino } from "pino";
import { Probot } from "probot";
import type { ForgeFile } from "../../src/forge/forge.js";
import {
  createGitHubForgeFactory,
  createTokenOctokit,
  ForgeOctokit,
  gitHubBaseUrl,
} from "../../src/forge/github/github-auth.js";
import { GitHubForge, type OwnerType } from "../../src/forge/github/github-forge.js";
import { repoDescription, repoNameForTask } from "../../src/forge/github/repo-name.js";
import { isRetryable, PermanentError, RetryableError } from "../../src/pipeline/errors.js";
import { expectValidGitHubRequests, githubApi, type GitHubApi } from "../helpers/openapi.js";

const repo = { owner: "acme", name: "weather-app" };
const R = "/repos/acme/weather-app";
const INIT = "1111111111111111111111111111111111111111";
const INIT_TREE = "2222222222222222222222222222222222222222";
const TREE = "3333333333333333333333333333333333333333";
const COMMIT = "4444444444444444444444444444444444444444";
const BLOB = "5555555555555555555555555555555555555555";
const MERGE = "6666666666666666666666666666666666666666";

let delays: number[];
const sleep = async (ms: number) => {
  delays.push(ms);
};

beforeEach(() => {
  delays = [];
});
afterEach(() => nock.cleanAll());
function forge(options: { kind?: "github-app" | "github-token"; ownerType?: OwnerType; baseUrl?: string } = {}): GitHubForge {
  const octokit = createTokenOctokit("test-token", options.baseUrl, { throttle: { enabled: false }, retry: { enabled: false } });
  return new GitHubForge({
    octokit,
    kind: options.kind ?? "github-token",
    ...(options.ownerType ? { ownerType: options.ownerType } : {}),
    sleep,
    retryDelaysMs: [10, 20, 30],
  });
}

/** Every scenario ends here: all replies used, every body fits GitHub's description. */
function expectDone(api: GitHubApi): void {
  expect(api.scope.pendingMocks()).toEqual([]);
  expectValidGitHubRequests(api);
}

function repoData(owner: string, name: string) {
  return {
    id: 1,
    name,
    full_name: `${owner}/${name}`,
    owner: { login: owner },
    html_url: `https://github.example/${owner}/${name}`,
    default_branch: "main",
    private: false,
    size: 0,
  };
}

function commitData(sha: string, tree: string, parents: string[] = []) {
  return { sha, tree: { sha: tree }, parents: parents.map((p) => ({ sha: p })), html_url: `https://github.example/c/${sha}` };
}

function textFiles(count: number): ForgeFile[] {
  return Array.from({ length: count }, (_, i) => ({ path: i === 0 ? "index.html" : `src/file-${i}.js`, content: `// file ${i}\n` }));
}

/** The replies for a round-1 commit on `main` right after auto_init. */
function replyRound1Commit(api: GitHubApi): void {
  api.scope
    .get(`${R}/git/commits/${INIT}`)
    .reply(200, commitData(INIT, INIT_TREE))
    .post(`${R}/git/trees`)
    .reply(201, { sha: TREE, tree: [] })
    .get(`${R}/git/ref/heads%2Fmain`)
    .reply(200, { ref: "refs/heads/main", object: { sha: INIT, type: "commit" } })
    .post(`${R}/git/commits`)
    .reply(201, commitData(COMMIT, TREE, [INIT]))
    .patch(`${R}/git/refs/heads%2Fmain`)
    .reply(200, { ref: "refs/heads/main", object: { sha: COMMIT } });
}

describe("creating repositories", () => {
  it("creates a public repository with an initial commit in an organization", async () => {
    const api = githubApi();
    api.scope.post("/orgs/acme/repos").reply(201, repoData("acme", "weather-app"));

    const info = await forge({ kind: "github-app", ownerType: "Organization" }).createRepository(repo, {
      description: "A weather app\nwith a forecast",
      private: false,
    });

    expect(api.bodiesOf("POST", "/orgs/acme/repos")).toEqual([
      {
        name: "weather-app",
        description: "A weather app with a forecast",
        private: false,
        auto_init: true,
        has_issues: true,
        has_wiki: false,
      },
    ]);
    expect(info).toEqual({
      owner: "acme",
      name: "weather-app",
      fullName: "acme/weather-app",
      htmlUrl: "https://github.example/acme/weather-app",
      defaultBranch: "main",
      private: false,
      empty: true,
    });
    expectDone(api);
  });

  it("refuses a user account in app mode, saying that only organizations work", async () => {
    const api = githubApi();

    const attempt = forge({ kind: "github-app", ownerType: "User" }).createRepository({ owner: "alice", name: "x" }, {
      description: "",
      private: false,
    });

    await expect(attempt).rejects.toThrow(PermanentError);
    await expect(attempt).rejects.toThrow(/installation token can create repositories only in organizations/);
    expect(api.requests).toEqual([]);
  });

  it("refuses a user account in app mode when the organization endpoint answers 404", async () => {
    const api = githubApi();
    api.scope.post("/orgs/alice/repos").reply(404, { message: "Not Found" });

    const attempt = forge({ kind: "github-app" }).createRepository({ owner: "alice", name: "x" }, { description: "", private: false });

    await expect(attempt).rejects.toMatchObject({ name: "PermanentError", hint: expect.stringContaining("organization") });
    expectDone(api);
  });

  it("creates the repository on the token's own user account in token mode", async () => {
    const api = githubApi();
    api.scope
      .post("/orgs/alice/repos")
      .reply(404, { message: "Not Found" })
      .get("/user")
      .reply(200, { login: "Alice" })
      .post("/user/repos")
      .reply(201, repoData("Alice", "x"));

    const info = await forge().createRepository({ owner: "alice", name: "x" }, { description: "d", private: true });

    expect(info.fullName).toBe("Alice/x");
    expect(api.bodiesOf("POST", "/user/repos")).toEqual([
      { name: "x", description: "d", private: true, auto_init: true, has_issues: true, has_wiki: false },
    ]);
    expectDone(api);
  });

  it("refuses an owner that is neither an organization nor the token's user", async () => {
    const api = githubApi();
    api.scope.post("/orgs/carol/repos").reply(404, { message: "Not Found" }).get("/user").reply(200, { login: "alice" });

    await expect(forge().createRepository({ owner: "carol", name: "x" }, { description: "", private: false })).rejects.toThrow(
      /carol is neither an organization .* nor the token's own account \(alice\)/,
    );
    expectDone(api);
  });

  it("fails permanently when a repository of that name already exists", async () => {
    const api = githubApi();
    api.scope.post("/orgs/acme/repos").reply(422, {
      message: "Repository creation failed.",
      errors: [{ resource: "Repository", code: "custom", field: "name", message: "name already exists on this account" }],
    });

    await expect(forge({ ownerType: "Organization" }).createRepository(repo, { description: "", private: false })).rejects.toThrow(
      new PermanentError("A repository named acme/weather-app already exists."),
    );
    expectDone(api);
  });

  it("turns a missing permission into a permanent error with GitHub's message and a hint", async () => {
    const api = githubApi();
    api.scope.post("/orgs/acme/repos").reply(403, { message: "Resource not accessible by integration" });

    const attempt = forge({ kind: "github-app", ownerType: "Organization" }).createRepository(repo, {
      description: "",
      private: false,
    });

    await expect(attempt).rejects.toMatchObject({
      name: "PermanentError",
      message: expect.stringContaining("403 (Resource not accessible by integration)"),
      hint: expect.stringContaining("Administration"),
    });
    expectDone(api);
  });

  it("leaves server errors retryable", async () => {
    const api = githubApi();
    api.scope.post("/orgs/acme/repos").reply(502, { message: "Bad Gateway" });

    const error: unknown = await forge({ ownerType: "Organization" })
      .createRepository(repo, { description: "", private: false })
      .catch((e: unknown) => e);

    expect(error).not.toBeInstanceOf(PermanentError);
    expect(isRetryable(error)).toBe(true);
    expectDone(api);
  });

  it("treats an exhausted rate limit as retryable", async () => {
    const api = githubApi();
    api.scope
      .post("/orgs/acme/repos")
      .reply(403, { message: "API rate limit exceeded for installation." }, { "x-ratelimit-remaining": "0" });

    const error: unknown = await forge({ ownerType: "Organization" })
      .createRepository(repo, { description: "", private: false })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(RetryableError);
    expect(isRetryable(error)).toBe(true);
    expectDone(api);
  });
});

describe("reading repositories", () => {
  it("answers null for a repository that does not exist", async () => {
    const api = githubApi();
    api.scope.get(R).reply(404, { message: "Not Found" });

    await expect(forge().getRepository(repo)).resolves.toBeNull();
    expectDone(api);
  });

  it("reports a repository holding only its initial commit as empty", async () => {
    const api = githubApi();
    api.scope
      .get(R)
      .reply(200, repoData("acme", "weather-app"))
      .get(`${R}/git/ref/heads%2Fmain`)
      .reply(200, { object: { sha: INIT } })
      .get(`${R}/git/commits/${INIT}`)
      .reply(200, commitData(INIT, INIT_TREE));

    await expect(forge().getRepository(repo)).resolves.toMatchObject({ fullName: "acme/weather-app", empty: true });
    expectDone(api);
  });

  it("reports a repository with a round's commit as not empty", async () => {
    const api = githubApi();
    api.scope
      .get(R)
      .reply(200, repoData("acme", "weather-app"))
      .get(`${R}/git/ref/heads%2Fmain`)
      .reply(200, { object: { sha: COMMIT } })
      .get(`${R}/git/commits/${COMMIT}`)
      .reply(200, commitData(COMMIT, TREE, [INIT]));

    await expect(forge().getRepository(repo)).resolves.toMatchObject({ empty: false });
    expectDone(api);
  });

  it("answers null for a branch that does not exist", async () => {
    const api = githubApi();
    api.scope.get(`${R}/git/ref/heads%2Fround-2`).reply(404, { message: "Not Found" });

    await expect(forge().getBranchHead(repo, "round-2")).resolves.toBeNull();
    expectDone(api);
  });

  it("waits while a just-created repository answers 409", async () => {
    const api = githubApi();
    api.scope
      .get(`${R}/git/ref/heads%2Fmain`)
      .reply(409, { message: "Git Repository is empty." })
      .get(`${R}/git/ref/heads%2Fmain`)
      .reply(200, { object: { sha: INIT } });

    await expect(forge().getBranchHead(repo, "main")).resolves.toBe(INIT);
    expect(delays).toEqual([10]);
    expectDone(api);
  });

  it("reads text files as strings and binary files as the exact bytes", async () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0xff]);
    const api = githubApi();
    api.scope
      .get(`${R}/git/commits/${COMMIT}`)
      .reply(200, commitData(COMMIT, TREE, [INIT]))
      .get(`${R}/git/trees/${TREE}`)
      .query({ recursive: "1" })
      .reply(200, {
        sha: TREE,
        truncated: false,
        tree: [
          { path: "README.md", mode: "100644", type: "blob", sha: "a1" },
          { path: "img", mode: "040000", type: "tree", sha: "a2" },
          { path: "img/logo.png", mode: "100644", type: "blob", sha: "a3" },
          { path: "link", mode: "120000", type: "blob", sha: "a4" },
        ],
      })
      .get(`${R}/git/blobs/a1`)
      .reply(200, { sha: "a1", encoding: "base64", content: Buffer.from("# Weather ☀\n").toString("base64") })
      .get(`${R}/git/blobs/a3`)
      .reply(200, { sha: "a3", encoding: "base64", content: png.toString("base64") });

    const files = await forge().readFiles(repo, COMMIT);

    expect(files).toEqual([
      { path: "README.md", content: "# Weather ☀\n" },
      { path: "img/logo.png", content: png },
    ]);
    expectDone(api);
  });
});

describe("committing files", () => {
  it("commits text inline and binaries as base64 blobs in one commit that replaces the initial tree", async () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xfe]);
    const api = githubApi();
    api.scope.post(`${R}/git/blobs`).reply(201, { sha: BLOB });
    replyRound1Commit(api);

    const result = await forge().commitFiles(repo, {
      branch: "main",
      parentSha: INIT,
      files: [...textFiles(10), { path: "logo.png", content: png }],
      replaceTree: true,
      message: "weather-app round 1 (brief b1)",
    });

    expect(result).toEqual({ sha: COMMIT, htmlUrl: `https://github.example/c/${COMMIT}`, created: true });
    expect(api.bodiesOf("POST", `${R}/git/blobs`)).toEqual([{ content: png.toString("base64"), encoding: "base64" }]);
    const [treeBody] = api.bodiesOf("POST", `${R}/git/trees`) as { tree: unknown[]; base_tree?: string }[];
    expect(treeBody?.base_tree).toBeUndefined();
    expect(treeBody?.tree).toHaveLength(11);
    expect(treeBody?.tree).toContainEqual({ path: "index.html", mode: "100644", type: "blob", content: "// file 0\n" });
    expect(treeBody?.tree).toContainEqual({ path: "logo.png", mode: "100644", type: "blob", sha: BLOB });
    expect(api.bodiesOf("POST", `${R}/git/commits`)).toEqual([
      { message: "weather-app round 1 (brief b1)", tree: TREE, parents: [INIT] },
    ]);
    expect(api.bodiesOf("PATCH", `${R}/git/refs/heads%2Fmain`)).toEqual([{ sha: COMMIT, force: false }]);
    expectDone(api);
  });

  it("makes no second commit when the branch already holds the same tree", async () => {
    const api = githubApi();
    api.scope
      .get(`${R}/git/commits/${INIT}`)
      .reply(200, commitData(INIT, INIT_TREE))
      .post(`${R}/git/trees`)
      .reply(201, { sha: TREE, tree: [] })
      .get(`${R}/git/ref/heads%2Fmain`)
      .reply(200, { object: { sha: COMMIT } })
      .get(`${R}/git/commits/${COMMIT}`)
      .reply(200, commitData(COMMIT, TREE, [INIT]));

    const result = await forge().commitFiles(repo, {
      branch: "main",
      parentSha: INIT,
      files: textFiles(3),
      replaceTree: true,
      message: "round 1",
    });

    expect(result).toEqual({ sha: COMMIT, htmlUrl: `https://github.example/c/${COMMIT}`, created: false });
    expect(api.writes().map((r) => `${r.method} ${r.path}`)).toEqual([`POST ${R}/git/trees`]);
    expectDone(api);
  });

  it("retries the tree while GitHub still answers 409 for a new repository", async () => {
    const api = githubApi();
    api.scope
      .get(`${R}/git/commits/${INIT}`)
      .reply(200, commitData(INIT, INIT_TREE))
      .post(`${R}/git/trees`)
      .times(2)
      .reply(409, { message: "Git Repository is empty." })
      .post(`${R}/git/trees`)
      .reply(201, { sha: TREE, tree: [] })
      .get(`${R}/git/ref/heads%2Fmain`)
      .reply(200, { object: { sha: INIT } })
      .post(`${R}/git/commits`)
      .reply(201, commitData(COMMIT, TREE, [INIT]))
      .patch(`${R}/git/refs/heads%2Fmain`)
      .reply(200, {});

    const result = await forge().commitFiles(repo, {
      branch: "main",
      parentSha: INIT,
      files: textFiles(2),
      replaceTree: true,
      message: "round 1",
    });

    expect(result.sha).toBe(COMMIT);
    expect(delays).toEqual([10, 20]);
    expectDone(api);
  });

  it("gives up with a permanent error when the repository stays empty", async () => {
    const api = githubApi();
    api.scope
      .get(`${R}/git/commits/${INIT}`)
      .reply(200, commitData(INIT, INIT_TREE))
      .post(`${R}/git/trees`)
      .times(4)
      .reply(409, { message: "Git Repository is empty." });

    await expect(
      forge().commitFiles(repo, { branch: "main", parentSha: INIT, files: textFiles(1), replaceTree: true, message: "m" }),
    ).rejects.toThrow(/409 \(Git Repository is empty\.\)/);
    expect(delays).toEqual([10, 20, 30]);
    expectDone(api);
  });

  it("commits a round on a new branch over the parent's tree, deleting only paths that exist", async () => {
    const api = githubApi();
    api.scope
      .get(`${R}/git/commits/${COMMIT}`)
      .reply(200, commitData(COMMIT, TREE, [INIT]))
      .get(`${R}/git/trees/${TREE}`)
      .query({ recursive: "1" })
      .reply(200, {
        sha: TREE,
        truncated: false,
        tree: [
          { path: "index.html", type: "blob" },
          { path: "old.js", type: "blob" },
        ],
      })
      .post(`${R}/git/trees`)
      .reply(201, { sha: "7777777777777777777777777777777777777777", tree: [] })
      .get(`${R}/git/ref/heads%2Fbrief-bot%2Fround-2`)
      .reply(404, { message: "Not Found" })
      .post(`${R}/git/commits`)
      .reply(201, commitData(MERGE, "7777777777777777777777777777777777777777", [COMMIT]))
      .post(`${R}/git/refs`)
      .reply(201, { ref: "refs/heads/brief-bot/round-2", object: { sha: MERGE } });

    const result = await forge().commitFiles(repo, {
      branch: "brief-bot/round-2",
      parentSha: COMMIT,
      files: [{ path: "index.html", content: "<h1>v2</h1>\n" }],
      deletions: ["old.js", "never-existed.js"],
      replaceTree: false,
      message: "round 2",
    });

    expect(result).toMatchObject({ sha: MERGE, created: true });
    expect(api.bodiesOf("POST", `${R}/git/trees`)).toEqual([
      {
        base_tree: TREE,
        tree: [
          { path: "index.html", mode: "100644", type: "blob", content: "<h1>v2</h1>\n" },
          { path: "old.js", mode: "100644", type: "blob", sha: null },
        ],
      },
    ]);
    expect(api.bodiesOf("POST", `${R}/git/refs`)).toEqual([{ ref: "refs/heads/brief-bot/round-2", sha: MERGE }]);
    expectDone(api);
  });
});

describe("GitHub Pages", () => {
  it("enables Pages from the branch root and returns the URL GitHub reports", async () => {
    const api = githubApi();
    api.scope.post(`${R}/pages`).reply(201, { html_url: "https://acme.pages.example/weather-app/", build_type: "legacy" });

    await expect(forge().ensurePages(repo, { branch: "main", buildType: "legacy" })).resolves.toEqual({
      url: "https://acme.pages.example/weather-app/",
      buildType: "legacy",
    });
    expect(api.bodiesOf("POST", `${R}/pages`)).toEqual([{ build_type: "legacy", source: { branch: "main", path: "/" } }]);
    expectDone(api);
  });

  it("switches Pages that are already enabled to a workflow build when the round needs one", async () => {
    const api = githubApi();
    api.scope
      .post(`${R}/pages`)
      .reply(409, { message: "GitHub Pages is already enabled." })
      .get(`${R}/pages`)
      .reply(200, { html_url: "https://acme.pages.example/weather-app/", build_type: "legacy", source: { branch: "main", path: "/" } })
      .put(`${R}/pages`)
      .reply(204);

    await expect(forge().ensurePages(repo, { branch: "main", buildType: "workflow" })).resolves.toEqual({
      url: "https://acme.pages.example/weather-app/",
      buildType: "workflow",
    });
    expect(api.bodiesOf("POST", `${R}/pages`)).toEqual([{ build_type: "workflow" }]);
    expect(api.bodiesOf("PUT", `${R}/pages`)).toEqual([{ build_type: "workflow" }]);
    expectDone(api);
  });

  it("leaves Pages settings that already match untouched", async () => {
    const api = githubApi();
    api.scope
      .post(`${R}/pages`)
      .reply(409, { message: "GitHub Pages is already enabled." })
      .get(`${R}/pages`)
      .reply(200, { html_url: "https://acme.pages.example/weather-app/", build_type: "legacy", source: { branch: "main", path: "/" } });

    await expect(forge().ensurePages(repo, { branch: "main", buildType: "legacy" })).resolves.toMatchObject({
      url: "https://acme.pages.example/weather-app/",
    });
    expect(api.writes()).toHaveLength(1);
    expectDone(api);
  });

  it.each([
    ["built for this commit", { commit: COMMIT, status: "built", error: { message: null } }, { status: "built" }],
    ["still building this commit", { commit: COMMIT, status: "building", error: { message: null } }, { status: "pending" }],
    ["an older commit's failed build", { commit: INIT, status: "errored", error: { message: "old" } }, { status: "pending" }],
    [
      "this commit's failed build",
      { commit: COMMIT, status: "errored", error: { message: "Page build failed: missing file" } },
      { status: "errored", error: "Page build failed: missing file" },
    ],
  ])("reads the legacy build state from %s", async (_name, build, expected) => {
    const api = githubApi();
    api.scope.get(`${R}/pages/builds/latest`).reply(200, build);

    await expect(forge().pagesBuildState(repo, COMMIT, "legacy")).resolves.toEqual(expected);
    expectDone(api);
  });

  it("reads a legacy build as pending before GitHub has any", async () => {
    const api = githubApi();
    api.scope.get(`${R}/pages/builds/latest`).reply(404, { message: "Not Found" });

    await expect(forge().pagesBuildState(repo, COMMIT, "legacy")).resolves.toEqual({ status: "pending" });
    expectDone(api);
  });

  it.each([
    ["a successful run", [{ status: "completed", conclusion: "success" }], { status: "built" }],
    ["a run in progress", [{ status: "completed", conclusion: "success" }, { status: "in_progress", conclusion: null }], { status: "pending" }],
    ["no run yet", [], { status: "pending" }],
    [
      "a failed run",
      [{ status: "completed", conclusion: "failure" }],
      { status: "errored", error: 'The workflow "Deploy Pages" ended with failure: https://github.example/run/1' },
    ],
  ])("reads the workflow build state from %s", async (_name, runs, expected) => {
    const api = githubApi();
    api.scope
      .get(`${R}/actions/runs`)
      .query({ head_sha: COMMIT, per_page: "100" })
      .reply(200, {
        total_count: runs.length,
        workflow_runs: runs.map((run) => ({ ...run, name: "Deploy Pages", path: ".github/workflows/pages.yml", html_url: "https://github.example/run/1" })),
      });

    await expect(forge().pagesBuildState(repo, COMMIT, "workflow")).resolves.toEqual(expected);
    expectDone(api);
  });
});

describe("a round-1 build", () => {
  it("makes at most 7 write requests for 10 text files, Pages included", async () => {
    const api = githubApi();
    api.scope
      .post("/orgs/acme/repos")
      .reply(201, repoData("acme", "weather-app"))
      .get(`${R}/git/ref/heads%2Fmain`)
      .reply(200, { object: { sha: INIT } });
    replyRound1Commit(api);
    api.scope.post(`${R}/pages`).reply(201, { html_url: "https://acme.pages.example/weather-app/" });
    const github = forge({ kind: "github-app", ownerType: "Organization" });

    await github.createRepository(repo, { description: "Weather", private: false });
    const parentSha = await github.getBranchHead(repo, "main");
    await github.commitFiles(repo, { branch: "main", parentSha, files: textFiles(10), replaceTree: true, message: "round 1" });
    await github.ensurePages(repo, { branch: "main", buildType: "legacy" });

    expect(api.writes().map((r) => `${r.method} ${r.path}`)).toEqual([
      "POST /orgs/acme/repos",
      `POST ${R}/git/trees`,
      `POST ${R}/git/commits`,
      `PATCH ${R}/git/refs/heads%2Fmain`,
      `POST ${R}/pages`,
    ]);
    expect(api.writes().length).toBeLessThanOrEqual(7);
    expectDone(api);
  });
});

describe("pull requests", () => {
  const pull = (overrides: Record<string, unknown> = {}) => ({
    number: 7,
    html_url: "https://github.example/acme/weather-app/pull/7",
    state: "open",
    merged_at: null,
    merge_commit_sha: "9999999999999999999999999999999999999999",
    head: { ref: "brief-bot/round-2", sha: COMMIT },
    base: { ref: "main" },
    ...overrides,
  });

  it("opens a pull request with the round's title and body", async () => {
    const api = githubApi();
    api.scope
      .get(`${R}/pulls`)
      .query({ head: "acme:brief-bot/round-2", state: "all", per_page: "100" })
      .reply(200, [])
      .post(`${R}/pulls`)
      .reply(201, pull());

    const info = await forge().openPullRequest(repo, {
      head: "brief-bot/round-2",
      base: "main",
      title: "Round 2",
      body: "The brief",
    });

    expect(info).toEqual({
      number: 7,
      htmlUrl: "https://github.example/acme/weather-app/pull/7",
      head: "brief-bot/round-2",
      base: "main",
      state: "open",
      merged: false,
      mergeCommitSha: null,
    });
    expect(api.bodiesOf("POST", `${R}/pulls`)).toEqual([
      { head: "brief-bot/round-2", base: "main", title: "Round 2", body: "The brief" },
    ]);
    expectDone(api);
  });

  it("reuses the open pull request from the same branch", async () => {
    const api = githubApi();
    api.scope
      .get(`${R}/pulls`)
      .query({ head: "acme:brief-bot/round-2", state: "all", per_page: "100" })
      .reply(200, [pull({ number: 3, state: "closed" }), pull()]);

    const info = await forge().openPullRequest(repo, { head: "brief-bot/round-2", base: "main", title: "t", body: "b" });

    expect(info.number).toBe(7);
    expect(api.writes()).toEqual([]);
    expectDone(api);
  });

  it("squash-merges with the round's title and the reviewed head", async () => {
    const api = githubApi();
    api.scope
      .get(`${R}/pulls/7`)
      .reply(200, pull())
      .put(`${R}/pulls/7/merge`)
      .reply(200, { sha: MERGE, merged: true, message: "Pull Request successfully merged" });

    await expect(forge().mergePullRequest(repo, 7, { title: "weather-app round 2" })).resolves.toEqual({ sha: MERGE });
    expect(api.bodiesOf("PUT", `${R}/pulls/7/merge`)).toEqual([
      { merge_method: "squash", commit_title: "weather-app round 2", sha: COMMIT },
    ]);
    expectDone(api);
  });

  it("returns the merge commit of a pull request that is already merged", async () => {
    const api = githubApi();
    api.scope.get(`${R}/pulls/7`).reply(200, pull({ state: "closed", merged_at: "2025-01-01T00:00:00Z", merge_commit_sha: MERGE }));

    await expect(forge().mergePullRequest(repo, 7, { title: "t" })).resolves.toEqual({ sha: MERGE });
    expect(api.writes()).toEqual([]);
    expectDone(api);
  });

  it("waits while GitHub is still computing whether the pull request can merge", async () => {
    const api = githubApi();
    api.scope
      .get(`${R}/pulls/7`)
      .reply(200, pull())
      .put(`${R}/pulls/7/merge`)
      .reply(405, { message: "Pull Request is not mergeable" })
      .get(`${R}/pulls/7`)
      .reply(200, pull())
      .put(`${R}/pulls/7/merge`)
      .reply(200, { sha: MERGE, merged: true });

    await expect(forge().mergePullRequest(repo, 7, { title: "t" })).resolves.toEqual({ sha: MERGE });
    expect(delays).toEqual([10]);
    expectDone(api);
  });

  it("fails permanently with GitHub's message when the pull request never becomes mergeable", async () => {
    const api = githubApi();
    for (let i = 0; i < 4; i++) {
      api.scope.get(`${R}/pulls/7`).reply(200, pull()).put(`${R}/pulls/7/merge`).reply(405, { message: "Pull Request is not mergeable" });
    }

    await expect(forge().mergePullRequest(repo, 7, { title: "t" })).rejects.toMatchObject({
      name: "PermanentError",
      message: "Could not merge pull request #7: GitHub answered 405 (Pull Request is not mergeable).",
      hint: expect.stringContaining("REVISION_MERGE=manual"),
    });
    expect(delays).toEqual([10, 20, 30]);
    expectDone(api);
  });
});

describe("createGitHubForgeFactory", () => {
  const { privateKey } = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    privateKeyEncoding: { type: "pkcs1", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  });
  const probot = () =>
    new Probot({
      appId: 123,
      privateKey,
      Octokit: ForgeOctokit.defaults({ retry: { enabled: false } }),
      log: pino({ level: "silent" }),
    });

  it("finds the organization's installation once and acts as that installation", async () => {
    const api = githubApi();
    api.scope
      .get("/orgs/acme/installation")
      .matchHeader("authorization", /^bearer /i)
      .reply(200, { id: 42, account: { login: "acme", type: "Organization" } })
      .post("/app/installations/42/access_tokens")
      .reply(201, { token: "ghs_installation", expires_at: new Date(Date.now() + 3_600_000).toISOString(), permissions: {} })
      .post("/orgs/acme/repos")
      .matchHeader("authorization", "token ghs_installation")
      .reply(201, repoData("acme", "weather-app"))
      .get(R)
      .matchHeader("authorization", "token ghs_installation")
      .reply(404, { message: "Not Found" });
    const forgeFor = createGitHubForgeFactory({ credentials: { mode: "app", app: probot() }, forge: { sleep } });

    const first = await forgeFor("acme");
    await first.createRepository(repo, { description: "", private: false });
    const second = await forgeFor("ACME");
    await second.getRepository(repo);

    expect(first.kind).toBe("github-app");
    expect(api.requests.filter((r) => r.path.endsWith("/installation"))).toHaveLength(1);
    expectDone(api);
  });

  it("falls back to the user installation and then refuses to create repositories there", async () => {
    const api = githubApi();
    api.scope
      .get("/orgs/alice/installation")
      .reply(404, { message: "Not Found" })
      .get("/users/alice/installation")
      .reply(200, { id: 43, account: { login: "alice", type: "User" } });
    const forgeFor = createGitHubForgeFactory({ credentials: { mode: "app", app: probot() } });

    const github = await forgeFor("alice");

    await expect(github.createRepository({ owner: "alice", name: "x" }, { description: "", private: false })).rejects.toThrow(
      /only in organizations/,
    );
    expectDone(api);
  });

  it("says so when the app is not installed on the owner", async () => {
    const api = githubApi();
    api.scope
      .get("/orgs/nobody/installation")
      .reply(404, { message: "Not Found" })
      .get("/users/nobody/installation")
      .reply(404, { message: "Not Found" });
    const forgeFor = createGitHubForgeFactory({ credentials: { mode: "app", app: probot() } });

    await expect(forgeFor("nobody")).rejects.toThrow(new PermanentError("The GitHub App is not installed on the account nobody."));
    expectDone(api);
  });

  it("sends token-mode requests to GitHub Enterprise Server when GHE_HOST is set", async () => {
    const api = githubApi("https://ghe.example.com");
    api.scope.get("/api/v3/repos/acme/weather-app").matchHeader("authorization", "token ghp_test").reply(404, { message: "Not Found" });
    const forgeFor = createGitHubForgeFactory({
      credentials: {
        mode: "token",
        token: "ghp_test",
        baseUrl: gitHubBaseUrl({ GHE_HOST: "ghe.example.com", GHE_PROTOCOL: "https" }),
        octokit: { throttle: { enabled: false }, retry: { enabled: false } },
      },
    });

    const github = await forgeFor("acme");

    await expect(github.getRepository(repo)).resolves.toBeNull();
    expect(github.kind).toBe("github-token");
    expectDone(api);
  });

  it("uses api.github.com without GHE_HOST", () => {
    expect(gitHubBaseUrl({})).toBe("https://api.github.com");
    expect(gitHubBaseUrl({ GHE_HOST: "git.corp", GHE_PROTOCOL: "http" })).toBe("http://git.corp/api/v3");
  });
});

describe("repository names and descriptions", () => {
  it("keeps a task that is already a valid name", () => {
    expect(repoNameForTask("captcha-solver-1a2b3")).toBe("captcha-solver-1a2b3");
  });

  it("replaces runs of other characters with one hyphen and trims hyphens and dots", () => {
    expect(repoNameForTask("  .My App: café/v2!  ")).toBe("My-App-cafe-v2");
  });

  it("never yields an empty name or dots only", () => {
    expect(repoNameForTask("..")).toMatch(/^task-[0-9a-f]{8}$/);
    expect(repoNameForTask("☀☀")).toMatch(/^task-[0-9a-f]{8}$/);
  });

  it("cuts long tasks to 100 characters and keeps distinct tasks distinct", () => {
    const a = repoNameForTask(`${"a".repeat(120)}-one`);
    const b = repoNameForTask(`${"a".repeat(120)}-two`);
    expect(a).toHaveLength(100);
    expect(a).toMatch(/^a+-[0-9a-f]{8}$/);
    expect(a).not.toBe(b);
    expect(repoNameForTask(`${"a".repeat(120)}-one`)).toBe(a);
  });

  it("strips control characters and collapses whitespace in descriptions", () => {
    expect(repoDescription("A\u0000 weather\t\napp\u007f")).toBe("A weather app");
  });

  it("cuts descriptions at a word within 350 characters", () => {
    const description = repoDescription("word ".repeat(100));
    expect(description.length).toBeLessThanOrEqual(350);
    expect(description).toMatch(/word…$/);
  });
});
