import type { ProbotOctokit } from "probot";
import type {
  CommitRequest,
  CommitResult,
  Forge,
  ForgeFile,
  PagesBuildState,
  PagesInfo,
  PullRequestInfo,
  RepoInfo,
  RepoRef,
} from "../forge.js";
import { PermanentError, RetryableError } from "../../pipeline/errors.js";
import { repoDescription } from "./repo-name.js";

export type OwnerType = "Organization" | "User";

export interface GitHubForgeOptions {
  octokit: ProbotOctokit;
  kind: "github-app" | "github-token";
  /** Known from the installation in app mode; otherwise learned when a repository is created. */
  ownerType?: OwnerType;
  /** Waits between attempts; tests inject a fake. */
  sleep?: (ms: number) => Promise<void>;
  /**
   * Delays before each new attempt while a new repository's git storage is not ready (409) or a pull
   * request's mergeability is still being computed (405). Their count is the number of retries.
   */
  retryDelaysMs?: readonly number[];
}

type TreeEntry = { path: string; mode: "100644"; type: "blob"; content?: string; sha?: string | null };
type PullLike = {
  number: number;
  html_url: string;
  state: string;
  merged_at: string | null;
  merge_commit_sha: string | null;
  head: { ref: string };
  base: { ref: string };
};

const HINTS = {
  appCreate:
    "The GitHub App needs the Administration (read and write) permission, and its installation must include the organization.",
  tokenCreate: "The token needs the repo scope (classic token) or Administration write on the account (fine-grained token).",
  contents: "The app or token needs the Contents (read and write) permission on the repository.",
  pulls: "The app or token needs the Pull requests and Contents (read and write) permissions on the repository.",
  pages:
    "The app or token needs the Pages (read and write) permission; Pages on a private repository needs a paid plan (or set REPO_VISIBILITY=public).",
  merge:
    "Resolve what blocks the pull request on GitHub (conflicts, required reviews or checks) and merge it there, or set REVISION_MERGE=manual.",
  actions: "The app or token needs the Actions (read) permission to follow a Pages workflow.",
};

const FAILED_CONCLUSIONS = new Set(["failure", "cancelled", "timed_out", "startup_failure", "action_required"]);

/** The forge on GitHub (or GitHub Enterprise Server) through the REST API. Every write is safe to repeat. */
export class GitHubForge implements Forge {
  readonly kind: "github-app" | "github-token";
  private readonly octokit: ProbotOctokit;
  private ownerType: OwnerType | undefined;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly retryDelaysMs: readonly number[];

  constructor(options: GitHubForgeOptions) {
    this.octokit = options.octokit;
    this.kind = options.kind;
    this.ownerType = options.ownerType;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.retryDelaysMs = options.retryDelaysMs ?? [500, 1000, 2000, 4000];
  }

  async getRepository(repo: RepoRef): Promise<RepoInfo | null> {
    let data;
    try {
      ({ data } = await this.octokit.rest.repos.get({ owner: repo.owner, repo: repo.name }));
    } catch (error) {
      if (statusOf(error) === 404) return null;
      throw toForgeError(error, `read the repository ${repo.owner}/${repo.name}`);
    }
    // "Empty": no commit yet, or only a root commit such as auto_init's (round 1 has not landed).
    const head = await this.readRef(repo, data.default_branch, false);
    const empty = head === null || (await this.gitCommit(repo, head)).parents.length === 0;
    return toRepoInfo(data, empty);
  }

  async createRepository(repo: RepoRef, options: { description: string; private: boolean }): Promise<RepoInfo> {
    const body = {
      name: repo.name,
      description: repoDescription(options.description),
      private: options.private,
      // The Git Data API answers 409 on a repository without commits; round 1 replaces this initial tree.
      auto_init: true,
      has_issues: true,
      has_wiki: false,
    };
    let data;
    if (this.ownerType !== "User") {
      try {
        ({ data } = await this.octokit.rest.repos.createInOrg({ org: repo.owner, ...body }));
        this.ownerType = "Organization";
      } catch (error) {
        // Without knowing the owner's type, a 404 here means "not an organization": try the user path.
        if (!(statusOf(error) === 404 && this.ownerType === undefined)) throw this.createError(error, repo);
        this.ownerType = "User";
      }
    }
    if (!data) {
      if (this.kind === "github-app") {
        throw new PermanentError(
          `${repo.owner} is a user account: a GitHub App's installation token can create repositories only in organizations.`,
          "Set BRIEF_OWNER to an organization where the app is installed, or run brief-bot with GITHUB_TOKEN (token mode) to use a personal account.",
        );
      }
      const { data: me } = await this.octokit.rest.users.getAuthenticated().catch((error: unknown) => {
        throw toForgeError(error, "read the token's user", HINTS.tokenCreate);
      });
      if (me.login.toLowerCase() !== repo.owner.toLowerCase()) {
        throw new PermanentError(
          `${repo.owner} is neither an organization this token can create repositories in nor the token's own account (${me.login}).`,
          `Set BRIEF_OWNER to ${me.login} or to an organization where the token may create repositories.`,
        );
      }
      try {
        ({ data } = await this.octokit.rest.repos.createForAuthenticatedUser(body));
      } catch (error) {
        throw this.createError(error, repo);
      }
    }
    return toRepoInfo(data, true);
  }

  getBranchHead(repo: RepoRef, branch: string): Promise<string | null> {
    return this.readRef(repo, branch, true);
  }

  async readFiles(repo: RepoRef, commitSha: string): Promise<ForgeFile[]> {
    const commit = await this.gitCommit(repo, commitSha);
    const { data: tree } = await this.octokit.rest.git
      .getTree({ owner: repo.owner, repo: repo.name, tree_sha: commit.tree.sha, recursive: "1" })
      .catch((error: unknown) => {
        throw toForgeError(error, `read the files of ${commitSha}`, HINTS.contents);
      });
    if (tree.truncated) {
      throw new PermanentError(
        `${repo.owner}/${repo.name} has too many files to read through the API.`,
        "Revise a smaller repository, or start over with a new task.",
      );
    }
    // Regular files only: symlinks and submodules are not part of a generated app.
    const blobs = tree.tree.filter(
      (entry): entry is typeof entry & { path: string; sha: string } =>
        entry.type === "blob" && (entry.mode === "100644" || entry.mode === "100755") && !!entry.path && !!entry.sha,
    );
    return mapLimit(blobs, 8, async (entry) => {
      const { data } = await this.octokit.rest.git
        .getBlob({ owner: repo.owner, repo: repo.name, file_sha: entry.sha })
        .catch((error: unknown) => {
          throw toForgeError(error, `read ${entry.path}`, HINTS.contents);
        });
      const bytes = Buffer.from(data.content, data.encoding === "base64" ? "base64" : "utf8");
      return { path: entry.path, content: decodeText(bytes) ?? bytes };
    });
  }

  async commitFiles(repo: RepoRef, request: CommitRequest): Promise<CommitResult> {
    const { owner, name } = repo;
    const parent = request.parentSha ? await this.gitCommit(repo, request.parentSha) : null;
    const baseTree = parent && !request.replaceTree ? parent.tree.sha : undefined;

    const entries: TreeEntry[] = [];
    for (const file of request.files) {
      if (typeof file.content === "string") {
        // Text goes inline in the tree request, so the write count does not grow with the number of files.
        entries.push({ path: file.path, mode: "100644", type: "blob", content: file.content });
      } else {
        const bytes = file.content;
        const { data: blob } = await this.whileEmpty(() =>
          this.octokit.rest.git.createBlob({ owner, repo: name, content: bytes.toString("base64"), encoding: "base64" }),
        ).catch((error: unknown) => {
          throw toForgeError(error, `upload ${file.path}`, HINTS.contents);
        });
        entries.push({ path: file.path, mode: "100644", type: "blob", sha: blob.sha });
      }
    }
    if (baseTree && request.deletions?.length) {
      for (const path of await this.deletablePaths(repo, baseTree, request)) {
        entries.push({ path, mode: "100644", type: "blob", sha: null });
      }
    }

    let treeSha = baseTree;
    if (!treeSha || entries.length > 0) {
      const { data: tree } = await this.whileEmpty(() =>
        this.octokit.rest.git.createTree({ owner, repo: name, tree: entries, ...(baseTree ? { base_tree: baseTree } : {}) }),
      ).catch((error: unknown) => {
        throw toForgeError(error, "create the commit's tree", HINTS.contents);
      });
      treeSha = tree.sha;
    }

    // Safe to repeat: a branch that already holds this exact tree gets no second commit.
    const head = await this.readRef(repo, request.branch, true);
    if (head) {
      const headCommit = head === parent?.sha ? parent : await this.gitCommit(repo, head);
      if (headCommit.tree.sha === treeSha) return { sha: head, htmlUrl: headCommit.html_url, created: false };
    }

    const { data: commit } = await this.whileEmpty(() =>
      this.octokit.rest.git.createCommit({
        owner,
        repo: name,
        message: request.message,
        tree: treeSha,
        parents: parent ? [parent.sha] : [],
      }),
    ).catch((error: unknown) => {
      throw toForgeError(error, "create the commit", HINTS.contents);
    });
    try {
      if (head) {
        await this.octokit.rest.git.updateRef({ owner, repo: name, ref: `heads/${request.branch}`, sha: commit.sha, force: false });
      } else {
        await this.octokit.rest.git.createRef({ owner, repo: name, ref: `refs/heads/${request.branch}`, sha: commit.sha });
      }
    } catch (error) {
      throw toForgeError(error, `move the branch ${request.branch} to the new commit`, HINTS.contents);
    }
    return { sha: commit.sha, htmlUrl: commit.html_url, created: true };
  }

  async findPullRequest(repo: RepoRef, head: string): Promise<PullRequestInfo | null> {
    const { data } = await this.octokit.rest.pulls
      .list({ owner: repo.owner, repo: repo.name, head: `${repo.owner}:${head}`, state: "all", per_page: 100 })
      .catch((error: unknown) => {
        throw toForgeError(error, `list the pull requests from ${head}`, HINTS.pulls);
      });
    const pick = data.find((pull) => pull.state === "open") ?? data.find((pull) => pull.merged_at);
    return pick ? toPullRequest(pick) : null;
  }

  async openPullRequest(
    repo: RepoRef,
    request: { head: string; base: string; title: string; body: string },
  ): Promise<PullRequestInfo> {
    const existing = await this.findPullRequest(repo, request.head);
    if (existing) return existing;
    try {
      const { data } = await this.octokit.rest.pulls.create({ owner: repo.owner, repo: repo.name, ...request });
      return toPullRequest(data);
    } catch (error) {
      // Someone (a concurrent run) opened it between the lookup and the create.
      if (statusOf(error) === 422 && /already exists/i.test(gitHubMessage(error))) {
        const raced = await this.findPullRequest(repo, request.head);
        if (raced) return raced;
      }
      throw toForgeError(error, `open a pull request from ${request.head}`, HINTS.pulls);
    }
  }

  async mergePullRequest(repo: RepoRef, number: number, request: { title: string }): Promise<{ sha: string }> {
    for (let attempt = 0; ; attempt++) {
      const { data: pull } = await this.octokit.rest.pulls
        .get({ owner: repo.owner, repo: repo.name, pull_number: number })
        .catch((error: unknown) => {
          throw toForgeError(error, `read pull request #${number}`, HINTS.pulls);
        });
      if (pull.merged_at && pull.merge_commit_sha) return { sha: pull.merge_commit_sha };
      if (pull.state === "closed") {
        throw new PermanentError(
          `Pull request #${number} in ${repo.owner}/${repo.name} was closed without merging.`,
          "Reopen and merge it, or send the round again.",
        );
      }
      try {
        const { data } = await this.octokit.rest.pulls.merge({
          owner: repo.owner,
          repo: repo.name,
          pull_number: number,
          merge_method: "squash",
          commit_title: request.title,
          // Merge exactly what was reviewed and built, not a commit pushed in between.
          sha: pull.head.sha,
        });
        return { sha: data.sha };
      } catch (error) {
        // 405: mergeability still being computed right after the pull request opened; 409: head moved.
        const status = statusOf(error);
        const delay = this.retryDelaysMs[attempt];
        if ((status === 405 || status === 409) && delay !== undefined) {
          await this.sleep(delay);
          continue;
        }
        throw toForgeError(error, `merge pull request #${number}`, status === 405 || status === 409 ? HINTS.merge : HINTS.pulls);
      }
    }
  }

  async ensurePages(repo: RepoRef, options: { branch: string; buildType: "legacy" | "workflow" }): Promise<PagesInfo> {
    const { owner, name } = repo;
    const wanted =
      options.buildType === "workflow"
        ? ({ build_type: "workflow" } as const)
        : ({ build_type: "legacy", source: { branch: options.branch, path: "/" } } as const);
    try {
      const { data } = await this.octokit.rest.repos.createPagesSite({ owner, repo: name, ...wanted });
      return { url: pagesUrl(data.html_url), buildType: options.buildType };
    } catch (error) {
      if (statusOf(error) !== 409) throw toForgeError(error, "enable GitHub Pages", HINTS.pages);
    }
    // 409: Pages is already on. Make its settings match (a re-run, or a round that added a Pages workflow).
    const { data: current } = await this.octokit.rest.repos.getPages({ owner, repo: name }).catch((error: unknown) => {
      throw toForgeError(error, "read the GitHub Pages settings", HINTS.pages);
    });
    const differs =
      current.build_type !== options.buildType ||
      (options.buildType === "legacy" && (current.source?.branch !== options.branch || current.source.path !== "/"));
    if (differs) {
      await this.octokit.rest.repos.updateInformationAboutPagesSite({ owner, repo: name, ...wanted }).catch((error: unknown) => {
        throw toForgeError(error, "update the GitHub Pages settings", HINTS.pages);
      });
    }
    return { url: pagesUrl(current.html_url), buildType: options.buildType };
  }

  async pagesBuildState(repo: RepoRef, commitSha: string, buildType: "legacy" | "workflow"): Promise<PagesBuildState> {
    return buildType === "legacy" ? this.legacyBuildState(repo, commitSha) : this.workflowBuildState(repo, commitSha);
  }

  private async legacyBuildState(repo: RepoRef, commitSha: string): Promise<PagesBuildState> {
    let build;
    try {
      ({ data: build } = await this.octokit.rest.repos.getLatestPagesBuild({ owner: repo.owner, repo: repo.name }));
    } catch (error) {
      if (statusOf(error) === 404) return { status: "pending" };
      throw toForgeError(error, "read the latest GitHub Pages build", HINTS.pages);
    }
    // An older commit's build (errored or not) says nothing about ours: GitHub has not built it yet.
    if (build.commit !== commitSha) return { status: "pending" };
    if (build.status === "built") return { status: "built" };
    if (build.status === "errored") return { status: "errored", error: build.error.message ?? "The GitHub Pages build failed." };
    return { status: "pending" };
  }

  private async workflowBuildState(repo: RepoRef, commitSha: string): Promise<PagesBuildState> {
    let runs;
    try {
      ({
        data: { workflow_runs: runs },
      } = await this.octokit.rest.actions.listWorkflowRunsForRepo({
        owner: repo.owner,
        repo: repo.name,
        head_sha: commitSha,
        per_page: 100,
      }));
    } catch (error) {
      if (statusOf(error) === 404) return { status: "pending" };
      throw toForgeError(error, "read the workflow runs", HINTS.actions);
    }
    if (runs.length === 0) return { status: "pending" };
    // Any failed run of this commit fails the round: the deployment or a check the app depends on broke.
    const failed = runs.find((run) => run.status === "completed" && FAILED_CONCLUSIONS.has(run.conclusion ?? ""));
    if (failed) {
      return {
        status: "errored",
        error: `The workflow "${failed.name ?? failed.path}" ended with ${failed.conclusion}: ${failed.html_url}`,
      };
    }
    return runs.every((run) => run.status === "completed") ? { status: "built" } : { status: "pending" };
  }

  private createError(error: unknown, repo: RepoRef): unknown {
    const message = gitHubMessage(error);
    if (statusOf(error) === 422 && /already exists/i.test(message)) {
      return new PermanentError(
        `A repository named ${repo.owner}/${repo.name} already exists.`,
        "brief-bot never overwrites a repository it did not create: rename or delete it, or use another task name.",
      );
    }
    return toForgeError(error, `create the repository ${repo.owner}/${repo.name}`, this.kind === "github-app" ? HINTS.appCreate : HINTS.tokenCreate);
  }

  private async gitCommit(repo: RepoRef, sha: string) {
    const { data } = await this.whileEmpty(() =>
      this.octokit.rest.git.getCommit({ owner: repo.owner, repo: repo.name, commit_sha: sha }),
    ).catch((error: unknown) => {
      throw toForgeError(error, `read the commit ${sha}`, HINTS.contents);
    });
    return data;
  }

  private async readRef(repo: RepoRef, branch: string, waitWhileEmpty: boolean): Promise<string | null> {
    try {
      const read = () => this.octokit.rest.git.getRef({ owner: repo.owner, repo: repo.name, ref: `heads/${branch}` });
      const { data } = await (waitWhileEmpty ? this.whileEmpty(read) : read());
      return data.object.sha;
    } catch (error) {
      const status = statusOf(error);
      if (status === 404 || status === 409) return null;
      throw toForgeError(error, `read the branch ${branch}`, HINTS.contents);
    }
  }

  /** Deletions that exist in the parent's tree and are not also written: GitHub rejects deleting a missing path. */
  private async deletablePaths(repo: RepoRef, baseTree: string, request: CommitRequest): Promise<string[]> {
    const written = new Set(request.files.map((file) => file.path));
    const { data } = await this.octokit.rest.git
      .getTree({ owner: repo.owner, repo: repo.name, tree_sha: baseTree, recursive: "1" })
      .catch((error: unknown) => {
        throw toForgeError(error, "read the parent's tree", HINTS.contents);
      });
    const existing = new Set(data.tree.map((entry) => entry.path));
    return [...new Set(request.deletions)].filter((path) => !written.has(path) && (data.truncated || existing.has(path)));
  }

  /** A repository created a moment ago may answer 409 "Git Repository is empty" for a little while. */
  private async whileEmpty<T>(request: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await request();
      } catch (error) {
        const delay = this.retryDelaysMs[attempt];
        if (statusOf(error) !== 409 || delay === undefined) throw error;
        await this.sleep(delay);
      }
    }
  }
}

function toRepoInfo(
  data: { owner: { login: string }; name: string; full_name: string; html_url: string; default_branch?: string; private: boolean },
  empty: boolean,
): RepoInfo {
  return {
    owner: data.owner.login,
    name: data.name,
    fullName: data.full_name,
    htmlUrl: data.html_url,
    defaultBranch: data.default_branch ?? "main",
    private: data.private,
    empty,
  };
}

function toPullRequest(pull: PullLike): PullRequestInfo {
  return {
    number: pull.number,
    htmlUrl: pull.html_url,
    head: pull.head.ref,
    base: pull.base.ref,
    state: pull.state === "open" ? "open" : "closed",
    merged: Boolean(pull.merged_at),
    mergeCommitSha: pull.merged_at ? pull.merge_commit_sha : null,
  };
}

function pagesUrl(url: string | undefined): string {
  // GitHub fills html_url in once the site is set up; the caller polls again.
  if (!url) throw new RetryableError("GitHub Pages did not report the site's URL yet.");
  return url;
}

/** UTF-8 text without NUL bytes is text; anything else stays bytes. */
function decodeText(bytes: Buffer): string | null {
  if (bytes.includes(0)) return null;
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return null;
  }
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

function statusOf(error: unknown): number | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const status = (error as { status?: unknown }).status;
  return typeof status === "number" ? status : undefined;
}

/** GitHub's own words: the response's `message` and any `errors[].message`, else the error's first line. */
function gitHubMessage(error: unknown): string {
  const data = (error as { response?: { data?: unknown } }).response?.data;
  if (typeof data === "object" && data !== null) {
    const { message, errors } = data as { message?: unknown; errors?: unknown };
    const details = Array.isArray(errors)
      ? errors.map((e: unknown) => (typeof e === "string" ? e : (e as { message?: unknown })?.message)).filter((m) => typeof m === "string")
      : [];
    if (typeof message === "string") return [message, ...details].join("; ");
  }
  return error instanceof Error ? (error.message.split("\n")[0] ?? "") : String(error);
}

/**
 * Classifies an Octokit error: 4xx that will not change on retry (bad credentials, missing permission, not
 * found, validation) become a PermanentError with GitHub's message and a hint; 5xx, 408, 429 and rate limits
 * are rethrown for the queue to retry (see isRetryable).
 */
function toForgeError(error: unknown, action: string, hint?: string): unknown {
  const status = statusOf(error);
  if (status === undefined || status < 400 || status === 408 || status === 429 || status >= 500) return error;
  const message = gitHubMessage(error);
  const headers = (error as { response?: { headers?: Record<string, string | undefined> } }).response?.headers ?? {};
  if (status === 403 && (/rate limit/i.test(message) || headers["x-ratelimit-remaining"] === "0")) {
    const reset = Number(headers["x-ratelimit-reset"]);
    const retryAfterMs = Number.isFinite(reset) && reset > 0 ? Math.max(0, reset * 1000 - Date.now()) : undefined;
    return new RetryableError(`GitHub's rate limit was reached: ${message}`, retryAfterMs);
  }
  const permanent = new PermanentError(
    `Could not ${action}: GitHub answered ${status} (${message}).`,
    status === 401 ? "Check the GitHub credentials: APP_ID and PRIVATE_KEY, or GITHUB_TOKEN." : hint,
  );
  permanent.cause = error;
  return permanent;
}
