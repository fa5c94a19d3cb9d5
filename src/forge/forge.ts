/**
 * The forge: where generated apps live. One implementation talks to GitHub (REST API through Octokit, as a
 * GitHub App installation or with a token), one keeps real git repositories on disk (the local forge).
 * Every write is safe to repeat: the pipeline may run a step again after a crash.
 */

export interface RepoRef {
  owner: string;
  name: string;
}

export interface RepoInfo extends RepoRef {
  fullName: string;
  htmlUrl: string;
  defaultBranch: string;
  private: boolean;
  /** True while the repository has only its initial commit (auto_init) or nothing. */
  empty?: boolean;
}

/** A file of a commit. Text as a string, anything else as bytes (committed byte for byte). */
export interface ForgeFile {
  path: string;
  content: string | Buffer;
}

export interface CommitRequest {
  /** Branch to move (created from `parentSha` when missing). */
  branch: string;
  /** The commit the new one builds on; null for the first commit of a repository. */
  parentSha: string | null;
  /** Files to add or change. */
  files: ForgeFile[];
  /** Paths to delete (ignored when replaceTree). */
  deletions?: string[];
  /** True: the commit holds exactly `files` (round 1). False: `files` are applied over the parent's tree. */
  replaceTree: boolean;
  message: string;
}

export interface CommitResult {
  sha: string;
  htmlUrl: string;
  /** False when the branch already held exactly this tree, so no new commit was made. */
  created: boolean;
}

export interface PullRequestInfo {
  number: number;
  htmlUrl: string;
  head: string;
  base: string;
  state: "open" | "closed";
  merged: boolean;
  mergeCommitSha: string | null;
}

export interface PagesInfo {
  url: string;
  buildType: "legacy" | "workflow";
}

export type PagesBuildState = { status: "pending" } | { status: "built" } | { status: "errored"; error: string };

export interface Forge {
  readonly kind: "github-app" | "github-token" | "local";
  getRepository(repo: RepoRef): Promise<RepoInfo | null>;
  /** Creates a repository with an initial commit (GitHub's Git Data API needs one). */
  createRepository(repo: RepoRef, options: { description: string; private: boolean }): Promise<RepoInfo>;
  /** The commit a branch points at, or null when the branch does not exist. */
  getBranchHead(repo: RepoRef, branch: string): Promise<string | null>;
  /** Every file of a commit (text decoded as UTF-8, anything else as bytes). */
  readFiles(repo: RepoRef, commitSha: string): Promise<ForgeFile[]>;
  /** One commit holding all changes; safe to repeat: an identical tree on the branch head is not committed again. */
  commitFiles(repo: RepoRef, request: CommitRequest): Promise<CommitResult>;
  /** The open or merged pull request from `head`, if any. */
  findPullRequest(repo: RepoRef, head: string): Promise<PullRequestInfo | null>;
  openPullRequest(repo: RepoRef, request: { head: string; base: string; title: string; body: string }): Promise<PullRequestInfo>;
  /** Squash-merges; returns the merge commit on the base branch. Merging a merged pull request returns its commit. */
  mergePullRequest(repo: RepoRef, number: number, request: { title: string }): Promise<{ sha: string }>;
  /** Enables Pages (or reconciles its settings) and returns the site's URL. */
  ensurePages(repo: RepoRef, options: { branch: string; buildType: "legacy" | "workflow" }): Promise<PagesInfo>;
  /** Whether the Pages build for a commit is done. */
  pagesBuildState(repo: RepoRef, commitSha: string, buildType: "legacy" | "workflow"): Promise<PagesBuildState>;
}
