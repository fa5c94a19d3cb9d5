import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, existsSync } from "node:fs";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PermanentError } from "../../src/pipeline/errors.js";
import { LocalForge } from "../../src/forge/local/local-forge.js";
import { createLocalPagesHandler } from "../../src/forge/local/serve-local-pages.js";
import { gitEnvironment } from "../../src/forge/local/git.js";

const repo = { owner: "octo", name: "demo-app" };
const allBytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
const round1 = [
  { path: "index.html", content: "<!doctype html><title>Demo</title><p>héllo</p>\n" },
  { path: "assets/logo.bin", content: allBytes },
  { path: "assets/css/site.css", content: "body { color: red; }\n" },
  { path: "notes.txt", content: "to be deleted\n" },
];

let dir: string;
let forge: LocalForge;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "local-forge-"));
  forge = new LocalForge({ root: join(dir, "repos"), pagesBaseUrl: "http://localhost:3000/pages/" });
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function cloneRepository(): string {
  const target = join(dir, `clone-${Math.random().toString(36).slice(2)}`);
  execFileSync("git", ["clone", "--quiet", forge.repositoryPath(repo), target], { env: gitEnvironment() });
  return target;
}

async function commitRound1(): Promise<string> {
  await forge.createRepository(repo, { description: "A demo", private: false });
  const parent = await forge.getBranchHead(repo, "main");
  const result = await forge.commitFiles(repo, { branch: "main", parentSha: parent, files: round1, replaceTree: true, message: "Build the app" });
  return result.sha;
}

describe("LocalForge", () => {
  it("creates a bare repository with an initial README commit on main", async () => {
    const info = await forge.createRepository(repo, { description: "A demo", private: true });

    expect(info).toMatchObject({ owner: "octo", name: "demo-app", fullName: "octo/demo-app", defaultBranch: "main", private: true, empty: true });
    expect(info.htmlUrl).toBe(`file://${join(dir, "repos", "octo", "demo-app.git")}`);
    const head = await forge.getBranchHead(repo, "main");
    expect(head).toMatch(/^[0-9a-f]{40}$/);
    expect(await forge.readFiles(repo, head!)).toEqual([{ path: "README.md", content: "# demo-app\n\nA demo\n" }]);
    expect(await forge.getRepository({ owner: "octo", name: "other" })).toBeNull();
  });

  it("refuses to create a repository that already exists", async () => {
    await forge.createRepository(repo, { description: "", private: false });

    await expect(forge.createRepository(repo, { description: "", private: false })).rejects.toThrow(PermanentError);
  });

  it("commits text, binary and nested files that a git clone gets back byte for byte", async () => {
    const sha = await commitRound1();

    const clone = cloneRepository();
    expect(execFileSync("git", ["-C", clone, "rev-parse", "HEAD"], { env: gitEnvironment() }).toString().trim()).toBe(sha);
    expect(existsSync(join(clone, "README.md"))).toBe(false);
    expect(readFileSync(join(clone, "index.html"), "utf8")).toBe(round1[0]!.content);
    expect(readFileSync(join(clone, "assets/logo.bin")).equals(allBytes)).toBe(true);
    expect(readFileSync(join(clone, "assets/css/site.css"), "utf8")).toBe("body { color: red; }\n");
    expect(execFileSync("git", ["-C", clone, "log", "-1", "--format=%an <%ae>|%s"], { env: gitEnvironment() }).toString().trim()).toBe(
      "brief-bot <brief-bot@localhost>|Build the app",
    );
    expect((await forge.getRepository(repo))?.empty).toBe(false);
  });

  it("reads a commit back with text as strings and binary files as bytes", async () => {
    const sha = await commitRound1();

    const files = await forge.readFiles(repo, sha);
    expect(files.map((f) => f.path).sort()).toEqual(["assets/css/site.css", "assets/logo.bin", "index.html", "notes.txt"]);
    const logo = files.find((f) => f.path === "assets/logo.bin")!.content;
    expect(Buffer.isBuffer(logo) && logo.equals(allBytes)).toBe(true);
    expect(files.find((f) => f.path === "index.html")!.content).toBe(round1[0]!.content);
  });

  it("does not commit again when the branch already holds the same tree", async () => {
    const first = await commitRound1();

    const again = await forge.commitFiles(repo, { branch: "main", parentSha: first, files: round1, replaceTree: true, message: "Build the app" });

    expect(again).toMatchObject({ sha: first, created: false });
    expect(await forge.getBranchHead(repo, "main")).toBe(first);
  });

  it("revises on a branch, opens one pull request for it and squash-merges it into main", async () => {
    const base = await commitRound1();
    const revision = await forge.commitFiles(repo, {
      branch: "brief-bot/round-2",
      parentSha: base,
      files: [{ path: "assets/css/site.css", content: "body { color: blue; }\n" }],
      deletions: ["notes.txt"],
      replaceTree: false,
      message: "Round 2",
    });
    expect(revision.created).toBe(true);
    expect(await forge.getBranchHead(repo, "main")).toBe(base);

    const pr = await forge.openPullRequest(repo, { head: "brief-bot/round-2", base: "main", title: "Round 2", body: "Changes" });
    const same = await forge.openPullRequest(repo, { head: "brief-bot/round-2", base: "main", title: "Round 2", body: "Changes" });
    expect(same).toEqual(pr);
    expect(pr).toMatchObject({ number: 1, state: "open", merged: false, mergeCommitSha: null });

    const { sha } = await forge.mergePullRequest(repo, pr.number, { title: "Round 2" });
    expect(await forge.mergePullRequest(repo, pr.number, { title: "Round 2" })).toEqual({ sha });
    expect(await forge.findPullRequest(repo, "brief-bot/round-2")).toMatchObject({ number: 1, merged: true, mergeCommitSha: sha });

    expect(await forge.getBranchHead(repo, "main")).toBe(sha);
    const clone = cloneRepository();
    expect(readFileSync(join(clone, "assets/css/site.css"), "utf8")).toBe("body { color: blue; }\n");
    expect(existsSync(join(clone, "notes.txt"))).toBe(false);
    expect(readFileSync(join(clone, "assets/logo.bin")).equals(allBytes)).toBe(true);
    const log = execFileSync("git", ["-C", clone, "log", "--format=%s %P"], { env: gitEnvironment() }).toString().trim().split("\n");
    expect(log[0]).toBe(`Round 2 ${base}`);
  });

  it("keeps changes made on the base branch after the pull request branched off", async () => {
    const base = await commitRound1();
    await forge.commitFiles(repo, { branch: "revise", parentSha: base, files: [{ path: "assets/css/site.css", content: "body { color: blue; }\n" }], replaceTree: false, message: "Revise" });
    await forge.commitFiles(repo, { branch: "main", parentSha: base, files: [{ path: "extra.txt", content: "extra\n" }], replaceTree: false, message: "Extra" });
    const pr = await forge.openPullRequest(repo, { head: "revise", base: "main", title: "Revise", body: "" });

    const { sha } = await forge.mergePullRequest(repo, pr.number, { title: "Revise" });

    const files = new Map((await forge.readFiles(repo, sha)).map((f) => [f.path, f.content]));
    expect(files.get("extra.txt")).toBe("extra\n");
    expect(files.get("assets/css/site.css")).toBe("body { color: blue; }\n");
  });

  it("refuses to merge a pull request that conflicts with its base branch", async () => {
    const base = await commitRound1();
    await forge.commitFiles(repo, { branch: "revise", parentSha: base, files: [{ path: "notes.txt", content: "theirs\n" }], replaceTree: false, message: "Revise" });
    await forge.commitFiles(repo, { branch: "main", parentSha: base, files: [{ path: "notes.txt", content: "ours\n" }], replaceTree: false, message: "Ours" });
    const pr = await forge.openPullRequest(repo, { head: "revise", base: "main", title: "Revise", body: "" });
    const mainBefore = await forge.getBranchHead(repo, "main");

    await expect(forge.mergePullRequest(repo, pr.number, { title: "Revise" })).rejects.toThrow(PermanentError);
    expect(await forge.getBranchHead(repo, "main")).toBe(mainBefore);
    expect(await forge.findPullRequest(repo, "revise")).toMatchObject({ state: "open", merged: false });
  });

  it("makes one commit when the same commit is requested twice at once", async () => {
    await forge.createRepository(repo, { description: "", private: false });
    const parentSha = await forge.getBranchHead(repo, "main");
    const request = { branch: "main", parentSha, files: round1, replaceTree: true, message: "Build the app" };

    const results = await Promise.all([forge.commitFiles(repo, request), forge.commitFiles(repo, request)]);

    expect(results.map((r) => r.created).sort()).toEqual([false, true]);
    expect(results[0]!.sha).toBe(results[1]!.sha);
  });

  it("replaces a folder with a file and deletes a whole folder when applying over the parent", async () => {
    const base = await commitRound1();

    const { sha } = await forge.commitFiles(repo, {
      branch: "main",
      parentSha: base,
      files: [{ path: "assets/css", content: "now a file\n" }, { path: "bom.txt", content: "\uFEFFbom" }],
      deletions: ["assets/logo.bin", "missing/folder"],
      replaceTree: false,
      message: "Reshape",
    });

    const files = await forge.readFiles(repo, sha);
    expect(files.map((f) => f.path).sort()).toEqual(["assets/css", "bom.txt", "index.html", "notes.txt"]);
    expect(files.find((f) => f.path === "bom.txt")!.content).toBe("\uFEFFbom");
  });

  it("rejects owner and repository names that could leave the repository folder", async () => {
    for (const bad of [{ owner: "..", name: "x" }, { owner: "octo", name: "../x" }, { owner: "octo", name: ".hidden" }, { owner: "a/b", name: "x" }, { owner: "octo", name: "" }]) {
      await expect(forge.createRepository(bad, { description: "", private: false })).rejects.toThrow(PermanentError);
    }
    expect(existsSync(join(dir, "repos"))).toBe(false);
  });

  it("rejects file paths that climb out of the tree", async () => {
    await forge.createRepository(repo, { description: "", private: false });

    await expect(
      forge.commitFiles(repo, { branch: "main", parentSha: null, files: [{ path: "../evil.txt", content: "x" }], replaceTree: true, message: "x" }),
    ).rejects.toThrow(PermanentError);
  });

  it("reports Pages as built once the commit is in the repository", async () => {
    const sha = await commitRound1();

    expect(await forge.ensurePages(repo, { branch: "main", buildType: "legacy" })).toEqual({ url: "http://localhost:3000/pages/octo/demo-app/", buildType: "legacy" });
    expect(await forge.pagesBuildState(repo, sha)).toEqual({ status: "built" });
    expect(await forge.pagesBuildState(repo, "0".repeat(40))).toEqual({ status: "pending" });
  });
});

describe("createLocalPagesHandler", () => {
  let server: Server;
  let port: number;

  beforeEach(async () => {
    const handler = createLocalPagesHandler(forge);
    server = createServer((req, res) => {
      void handler(req, res).then((handled) => {
        if (!handled) res.writeHead(418).end();
      });
    });
    await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
    port = (server.address() as AddressInfo).port;
  });

  afterEach(async () => {
    await new Promise<void>((done) => server.close(() => done()));
  });

  /** node:http sends the path as written; fetch would normalize "..". */
  function get(path: string, method = "GET"): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
    return new Promise((resolve, reject) => {
      const req = request({ host: "127.0.0.1", port, path, method }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      });
      req.on("error", reject);
      req.end();
    });
  }

  async function publish(): Promise<void> {
    await commitRound1();
    await forge.ensurePages(repo, { branch: "main", buildType: "legacy" });
  }

  it("serves index.html for the site root as text/html", async () => {
    await publish();

    const res = await get("/pages/octo/demo-app/");

    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(res.body.toString("utf8")).toBe(round1[0]!.content);
  });

  it("serves a nested file byte for byte", async () => {
    await publish();

    const res = await get("/pages/octo/demo-app/assets/logo.bin");
    const css = await get("/pages/octo/demo-app/assets/css/site.css");

    expect(res.status).toBe(200);
    expect(res.body.equals(allBytes)).toBe(true);
    expect(css.headers["content-type"]).toBe("text/css; charset=utf-8");
  });

  it("answers 404 for a missing file and for a repository without Pages", async () => {
    await publish();
    await forge.createRepository({ owner: "octo", name: "no-pages" }, { description: "", private: false });

    expect((await get("/pages/octo/demo-app/missing.html")).status).toBe(404);
    expect((await get("/pages/octo/no-pages/README.md")).status).toBe(404);
    expect((await get("/pages/octo/nobody/")).status).toBe(404);
  });

  it("refuses paths that climb out of the site", async () => {
    await publish();

    for (const path of ["/pages/octo/demo-app/../../octo/demo-app/index.html", "/pages/octo/demo-app/%2e%2e/x", "/pages/octo/demo-app/assets%2F..%2F..%2Fx", "/pages/octo/demo-app/.git/config"]) {
      const res = await get(path);
      expect([400, 404]).toContain(res.status);
      expect(res.body.toString("utf8")).not.toContain("<title>Demo</title>");
    }
    expect((await get("/pages/octo/demo-app/../x")).status).toBe(400);
  });

  it("redirects a site or folder without its trailing slash", async () => {
    await publish();

    const site = await get("/pages/octo/demo-app?x=1");
    const folder = await get("/pages/octo/demo-app/assets");

    expect(site).toMatchObject({ status: 301, headers: expect.objectContaining({ location: "/pages/octo/demo-app/?x=1" }) });
    expect(folder).toMatchObject({ status: 301, headers: expect.objectContaining({ location: "/pages/octo/demo-app/assets/" }) });
  });

  it("answers HEAD without a body and other methods with 405", async () => {
    await publish();

    const head = await get("/pages/octo/demo-app/index.html", "HEAD");
    const post = await get("/pages/octo/demo-app/index.html", "POST");

    expect(head.status).toBe(200);
    expect(head.headers["content-length"]).toBe(String(Buffer.byteLength(round1[0]!.content as string)));
    expect(head.body.length).toBe(0);
    expect(post.status).toBe(405);
  });

  it("leaves URLs outside its prefix to other handlers", async () => {
    expect((await get("/pagesx/octo/demo-app/")).status).toBe(418);
    expect((await get("/health")).status).toBe(418);
  });
});
