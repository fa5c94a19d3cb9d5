import { createHash } from "node:crypto";
import nock from "nock";
import { validateGitHubRequest } from "./openapi.js";

interface Commit {
  sha: string;
  tree: string;
  parents: string[];
  message: string;
}
interface Pull {
  number: number;
  head: string;
  base: string;
  title: string;
  body: string;
  state: "open" | "closed";
  merged_at: string | null;
  merge_commit_sha: string | null;
}
interface IssueComment {
  id: number;
  issue: number;
  body: string;
  edits: number;
}
interface Repo {
  owner: string;
  name: string;
  comments: IssueComment[];
  reactions: { issue: number; content: string }[];
  checkRuns: { id: number; head_sha: string; name: string; status?: string; conclusion?: string; output?: { title?: string; summary?: string } }[];
  reviewRequests: { pull: number; reviewers: string[] }[];
  refs: Map<string, string>;
  pages: { build_type: string; source?: unknown } | null;
  pulls: Pull[];
  description: string;
  private: boolean;
}

const sha = (value: unknown) => createHash("sha1").update(JSON.stringify(value)).digest("hex");

/**
 * GitHub's REST API for one organization, kept in memory behind nock: repositories, the Git Data API,
 * Pages and pull requests. Every request body is checked against GitHub's OpenAPI description, and every
 * request is recorded, so tests assert on what was sent and how many writes it took.
 */
export class FakeGitHub {
  readonly requests: { method: string; path: string; body: unknown }[] = [];
  readonly validationErrors: string[] = [];
  readonly repos = new Map<string, Repo>();
  readonly blobs = new Map<string, Buffer>();
  readonly trees = new Map<string, Map<string, string>>();
  readonly commits = new Map<string, Commit>();
  /** Builds reported as "building" before "built", per commit, to exercise polling. */
  buildingPolls = 1;
  private readonly polls = new Map<string, number>();

  constructor(
    readonly org: string,
    readonly installationId = 42,
  ) {}

  get writes() {
    return this.requests.filter((r) => r.method !== "GET" && !r.path.includes("/access_tokens"));
  }

  install(origin = "https://api.github.com"): nock.Scope {
    const scope = nock(origin).persist();
    const handle = (method: string) =>
      function (this: unknown, uri: string, body: unknown): [number, unknown] {
        const parsed = typeof body === "string" && body ? (JSON.parse(body) as unknown) : body === "" ? undefined : body;
        this;
        return fake.route(method, uri, parsed);
      };
    const fake = this;
    for (const method of ["get", "post", "put", "patch", "delete"] as const) {
      scope.intercept(/.*/, method.toUpperCase()).reply(handle(method.toUpperCase()));
    }
    return scope;
  }

  private route(method: string, uri: string, body: unknown): [number, unknown] {
    const url = new URL(uri, "https://api.github.com");
    const path = decodeURIComponent(url.pathname);
    this.requests.push({ method, path, body });
    if (process.env.FAKE_GITHUB_TRACE) console.log(Date.now() % 100000, method, path);
    this.validationErrors.push(...validateGitHubRequest(method, `${url.pathname}${url.search}`, body));
    let m: RegExpExecArray | null;
    if (method === "GET" && (m = /^\/orgs\/([^/]+)\/installation$/.exec(path))) {
      return m[1] === this.org ? [200, { id: this.installationId, account: { login: this.org, type: "Organization" } }] : [404, { message: "Not Found" }];
    }
    if (method === "POST" && /^\/app\/installations\/\d+\/access_tokens$/.test(path)) {
      return [201, { token: "ghs_faketoken", expires_at: new Date(Date.now() + 3_600_000).toISOString() }];
    }
    if (method === "POST" && (m = /^\/orgs\/([^/]+)\/repos$/.exec(path))) return this.createRepo(m[1]!, body as Record<string, unknown>);
    m = /^\/repos\/([^/]+)\/([^/]+)(\/.*)?$/.exec(path);
    if (!m) return [404, { message: `fake GitHub has no route for ${method} ${path}` }];
    const repo = this.repos.get(`${m[1]}/${m[2]}`);
    const rest = m[3] ?? "";
    if (!repo) return [404, { message: "Not Found" }];
    return this.repoRoute(repo, method, rest, url.searchParams, body as Record<string, unknown>);
  }

  private createRepo(org: string, body: Record<string, unknown>): [number, unknown] {
    const name = String(body.name);
    if (this.repos.has(`${org}/${name}`)) return [422, { message: "Repository creation failed.", errors: [{ message: "name already exists on this account" }] }];
    const repo = this.addRepo(org, name, { description: String(body.description ?? ""), private: Boolean(body.private) });
    const tree = this.putTree(new Map([["README.md", this.putBlob(Buffer.from(`# ${name}\n`))]]));
    const init = this.putCommit({ tree, parents: [], message: "Initial commit" });
    repo.refs.set("main", init);
    return [201, this.repoJson(repo)];
  }

  /** Permission levels of people on the organization's repositories (default: read). */
  readonly permissions = new Map<string, string>();
  private nextId = 100;

  /** A repository that exists already (e.g. the one where people file brief issues). */
  addRepo(owner: string, name: string, options: { description?: string; private?: boolean } = {}): Repo {
    const repo: Repo = {
      owner, name, refs: new Map(), pages: null, pulls: [], description: options.description ?? "", private: options.private ?? false,
      comments: [], reactions: [], checkRuns: [], reviewRequests: [],
    };
    this.repos.set(`${owner}/${name}`, repo);
    return repo;
  }

  repoJson(repo: Repo) {
    return {
      id: 7,
      name: repo.name,
      full_name: `${repo.owner}/${repo.name}`,
      owner: { login: repo.owner, type: "Organization" },
      html_url: `https://github.com/${repo.owner}/${repo.name}`,
      default_branch: "main",
      private: repo.private,
      size: 1,
    };
  }

  private repoRoute(repo: Repo, method: string, rest: string, query: URLSearchParams, body: Record<string, unknown>): [number, unknown] {
    let m: RegExpExecArray | null;
    const key = `${method} ${rest}`;
    if (key === "GET ") return [200, this.repoJson(repo)];
    if (method === "GET" && (m = /^\/git\/ref\/heads\/(.+)$/.exec(rest))) {
      const head = repo.refs.get(m[1]!);
      return head ? [200, { ref: `refs/heads/${m[1]}`, object: { sha: head, type: "commit" } }] : [404, { message: "Not Found" }];
    }
    if (method === "GET" && (m = /^\/git\/commits\/([0-9a-f]+)$/.exec(rest))) {
      const c = this.commits.get(m[1]!);
      return c ? [200, this.commitJson(repo, c)] : [404, { message: "Not Found" }];
    }
    if (method === "GET" && (m = /^\/git\/trees\/([0-9a-f]+)$/.exec(rest))) {
      const t = this.trees.get(m[1]!);
      if (!t) return [404, { message: "Not Found" }];
      return [200, { sha: m[1], truncated: false, tree: [...t].map(([path, s]) => ({ path, mode: "100644", type: "blob", sha: s, size: this.blobs.get(s)!.length })) }];
    }
    if (method === "GET" && (m = /^\/git\/blobs\/([0-9a-f]+)$/.exec(rest))) {
      const b = this.blobs.get(m[1]!);
      return b ? [200, { sha: m[1], content: b.toString("base64"), encoding: "base64", size: b.length }] : [404, { message: "Not Found" }];
    }
    if (key === "POST /git/blobs") {
      const s = this.putBlob(Buffer.from(String(body.content), body.encoding === "base64" ? "base64" : "utf8"));
      return [201, { sha: s }];
    }
    if (key === "POST /git/trees") {
      const entries = new Map(body.base_tree ? this.trees.get(String(body.base_tree)) : []);
      for (const e of body.tree as { path: string; sha?: string | null; content?: string }[]) {
        if (e.content !== undefined) entries.set(e.path, this.putBlob(Buffer.from(e.content, "utf8")));
        else if (e.sha === null) entries.delete(e.path);
        else entries.set(e.path, e.sha!);
      }
      const s = this.putTree(entries);
      return [201, { sha: s, tree: [] }];
    }
    if (key === "POST /git/commits") {
      const s = this.putCommit({ tree: String(body.tree), parents: body.parents as string[], message: String(body.message) });
      return [201, this.commitJson(repo, this.commits.get(s)!)];
    }
    if (key === "POST /git/refs") {
      const ref = String(body.ref).replace(/^refs\/heads\//, "");
      if (repo.refs.has(ref)) return [422, { message: "Reference already exists" }];
      repo.refs.set(ref, String(body.sha));
      return [201, { ref: body.ref, object: { sha: body.sha } }];
    }
    if (method === "PATCH" && (m = /^\/git\/refs\/heads\/(.+)$/.exec(rest))) {
      repo.refs.set(m[1]!, String(body.sha));
      return [200, { ref: `refs/heads/${m[1]}`, object: { sha: body.sha } }];
    }
    if (key === "POST /pages") {
      if (repo.pages) return [409, { message: "GitHub Pages is already enabled." }];
      repo.pages = { build_type: String(body.build_type ?? "legacy"), source: body.source };
      return [201, this.pagesJson(repo)];
    }
    if (key === "GET /pages") return repo.pages ? [200, this.pagesJson(repo)] : [404, { message: "Not Found" }];
    if (key === "PUT /pages") {
      repo.pages = { ...repo.pages!, ...(body as object) } as Repo["pages"];
      return [204, ""];
    }
    if (key === "GET /pages/builds/latest") {
      const head = repo.refs.get("main")!;
      const n = (this.polls.get(head) ?? 0) + 1;
      this.polls.set(head, n);
      return [200, { status: n <= this.buildingPolls ? "building" : "built", commit: head, error: { message: null } }];
    }
    if (key === "GET /pulls") {
      const head = (query.get("head") ?? "").split(":")[1];
      return [200, repo.pulls.filter((p) => !head || p.head === head).map((p) => this.pullJson(repo, p))];
    }
    if (key === "POST /pulls") {
      const pull: Pull = { number: repo.pulls.length + 1, head: String(body.head), base: String(body.base), title: String(body.title), body: String(body.body), state: "open", merged_at: null, merge_commit_sha: null };
      repo.pulls.push(pull);
      return [201, this.pullJson(repo, pull)];
    }
    if (method === "GET" && (m = /^\/pulls\/(\d+)$/.exec(rest))) {
      const pull = repo.pulls[Number(m[1]) - 1];
      return pull ? [200, this.pullJson(repo, pull)] : [404, { message: "Not Found" }];
    }
    if (method === "PUT" && (m = /^\/pulls\/(\d+)\/merge$/.exec(rest))) {
      const pull = repo.pulls[Number(m[1]) - 1]!;
      const headCommit = this.commits.get(repo.refs.get(pull.head)!)!;
      const merged = this.putCommit({ tree: headCommit.tree, parents: [repo.refs.get(pull.base)!], message: String(body.commit_title) });
      repo.refs.set(pull.base, merged);
      Object.assign(pull, { state: "closed", merged_at: new Date().toISOString(), merge_commit_sha: merged });
      return [200, { sha: merged, merged: true, message: "Pull Request successfully merged" }];
    }
    if (method === "GET" && rest.startsWith("/contents/")) return [404, { message: "Not Found" }];
    if (method === "GET" && (m = /^\/collaborators\/([^/]+)\/permission$/.exec(rest))) {
      const permission = this.permissions.get(m[1]!) ?? "read";
      return [200, { permission, role_name: permission, user: { login: m[1] } }];
    }
    if (method === "POST" && (m = /^\/issues\/(\d+)\/reactions$/.exec(rest))) {
      repo.reactions.push({ issue: Number(m[1]), content: String(body.content) });
      return [201, { id: this.nextId++, content: body.content }];
    }
    if (method === "POST" && /^\/issues\/comments\/\d+\/reactions$/.test(rest)) return [201, { id: this.nextId++, content: body.content }];
    if (method === "GET" && (m = /^\/issues\/(\d+)\/comments$/.exec(rest))) {
      return [200, repo.comments.filter((c) => c.issue === Number(m![1])).map((c) => this.commentJson(repo, c))];
    }
    if (method === "POST" && (m = /^\/issues\/(\d+)\/comments$/.exec(rest))) {
      const comment = { id: this.nextId++, issue: Number(m[1]), body: String(body.body), edits: 0 };
      repo.comments.push(comment);
      return [201, this.commentJson(repo, comment)];
    }
    if (method === "PATCH" && (m = /^\/issues\/comments\/(\d+)$/.exec(rest))) {
      const comment = repo.comments.find((c) => c.id === Number(m![1]));
      if (!comment) return [404, { message: "Not Found" }];
      Object.assign(comment, { body: String(body.body), edits: comment.edits + 1 });
      return [200, this.commentJson(repo, comment)];
    }
    if (key === "POST /check-runs") {
      const run = { id: this.nextId++, ...(body as { head_sha: string; name: string }) };
      repo.checkRuns.push(run);
      return [201, { id: run.id, html_url: `https://github.com/${repo.owner}/${repo.name}/runs/${run.id}` }];
    }
    if (method === "PATCH" && (m = /^\/check-runs\/(\d+)$/.exec(rest))) {
      const run = repo.checkRuns.find((r) => r.id === Number(m![1]));
      if (!run) return [404, { message: "Not Found" }];
      Object.assign(run, body);
      return [200, { id: run.id }];
    }
    if (method === "POST" && (m = /^\/pulls\/(\d+)\/requested_reviewers$/.exec(rest))) {
      repo.reviewRequests.push({ pull: Number(m[1]), reviewers: body.reviewers as string[] });
      return [201, this.pullJson(repo, repo.pulls[Number(m[1]) - 1]!)];
    }
    if (method === "GET" && /^\/pulls\/\d+\/comments$/.test(rest)) return [200, this.reviewComments];
    return [404, { message: `fake GitHub has no route for ${method} ${rest}` }];
  }

  /** Line comments the next review lists (GET /pulls/{n}/comments). */
  reviewComments: unknown[] = [];

  /** A person merges a pull request on GitHub (squash), as the merge button would. */
  mergeByPerson(fullName: string, number: number): string {
    const [status, body] = this.repoRoute(this.repos.get(fullName)!, "PUT", `/pulls/${number}/merge`, new URLSearchParams(), { commit_title: `Merge #${number}` });
    if (status !== 200) throw new Error("merge failed");
    return (body as { sha: string }).sha;
  }

  private commentJson(repo: Repo, c: IssueComment) {
    return { id: c.id, body: c.body, html_url: `https://github.com/${repo.owner}/${repo.name}/issues/${c.issue}#issuecomment-${c.id}`, user: { login: "brief-bot[bot]", type: "Bot" } };
  }

  /** The files of a branch, as GitHub would serve them. */
  filesAt(fullName: string, branch = "main"): Map<string, Buffer> {
    const repo = this.repos.get(fullName)!;
    const tree = this.trees.get(this.commits.get(repo.refs.get(branch)!)!.tree)!;
    return new Map([...tree].map(([path, s]) => [path, this.blobs.get(s)!]));
  }

  commitsOn(fullName: string, branch = "main"): Commit[] {
    const repo = this.repos.get(fullName)!;
    const list: Commit[] = [];
    let at: string | undefined = repo.refs.get(branch);
    while (at) {
      const c: Commit = this.commits.get(at)!;
      list.push(c);
      at = c.parents[0];
    }
    return list;
  }

  private putBlob(bytes: Buffer): string {
    const s = createHash("sha1").update(bytes).digest("hex");
    this.blobs.set(s, bytes);
    return s;
  }

  private putTree(entries: Map<string, string>): string {
    const sorted = new Map([...entries].sort(([a], [b]) => a.localeCompare(b)));
    const s = sha([...sorted]);
    this.trees.set(s, sorted);
    return s;
  }

  private putCommit(c: Omit<Commit, "sha">): string {
    const s = sha({ ...c, n: this.commits.size });
    this.commits.set(s, { ...c, sha: s });
    return s;
  }

  private commitJson(repo: Repo, c: Commit) {
    return { sha: c.sha, tree: { sha: c.tree }, parents: c.parents.map((p) => ({ sha: p })), message: c.message, html_url: `https://github.com/${repo.owner}/${repo.name}/commit/${c.sha}` };
  }

  private pagesJson(repo: Repo) {
    return { url: "", status: "built", html_url: `https://${repo.owner}.github.io/${repo.name}/`, build_type: repo.pages!.build_type, source: repo.pages!.source ?? { branch: "main", path: "/" } };
  }

  private pullJson(repo: Repo, p: Pull) {
    return {
      number: p.number,
      html_url: `https://github.com/${repo.owner}/${repo.name}/pull/${p.number}`,
      state: p.state,
      merged_at: p.merged_at,
      merge_commit_sha: p.merge_commit_sha,
      title: p.title,
      head: { ref: p.head, sha: repo.refs.get(p.head) },
      base: { ref: p.base },
    };
  }
}
