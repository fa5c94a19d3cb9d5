import { randomUUID } from "node:crypto";
import { mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { z } from "zod";
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
import { git, GitError } from "./git.js";

export interface LocalForgeOptions {
  /** Where repositories live: `<root>/<owner>/<name>.git` (DATA_DIR/repos). */
  root: string;
  /** Where the app serves Pages, e.g. http://localhost:3000/pages. */
  pagesBaseUrl: string;
}

/** What a path of a branch or commit holds; `readPath` answers it for the Pages handler. */
export type RepoPathContent = { kind: "file"; content: Buffer } | { kind: "folder" };

const NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}$/;
const FULL_SHA = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
const SHA = /^[0-9a-f]{4,64}$/;
const DEFAULT_BRANCH = "main";

const RepoSettings = z.object({
  description: z.string(),
  private: z.boolean(),
  /** The auto_init commit: while the default branch points at it the repository counts as empty. */
  initialCommit: z.string().nullable(),
  /** Set by ensurePages; the Pages handler serves nothing until then, like GitHub. */
  pages: z.object({ branch: z.string(), buildType: z.enum(["legacy", "workflow"]) }).nullable(),
});
type RepoSettings = z.infer<typeof RepoSettings>;

const PullRecord = z.object({
  number: z.number().int().positive(),
  head: z.string(),
  base: z.string(),
  title: z.string(),
  body: z.string(),
  state: z.enum(["open", "closed"]),
  merged: z.boolean(),
  mergeCommitSha: z.string().nullable(),
});
type PullRecord = z.infer<typeof PullRecord>;
const PullRecords = z.array(PullRecord);

/** Owner and repository names the local forge accepts: safe as a single path segment. */
export function isLocalRepoName(value: string): boolean {
  return NAME.test(value);
}

interface TreeEntry {
  mode: string;
  type: string;
  sha: string;
}

/**
 * The forge of the embedded default (issue 6): real bare git repositories on disk, cloneable with
 * `git clone`. Pull requests are branches plus a record in the repository; Pages are served by the app
 * from the branch itself (see serve-local-pages.ts). Writes are serialized per repository in this
 * process, and ref updates carry the expected old value so a concurrent writer makes us fail, not clobber.
 */
export class LocalForge implements Forge {
  readonly kind = "local";
  private readonly locks = new Map<string, Promise<void>>();
  private readonly root: string;
  private readonly pagesBaseUrl: string;

  constructor(options: LocalForgeOptions) {
    this.root = resolve(options.root);
    this.pagesBaseUrl = options.pagesBaseUrl.replace(/\/+$/, "");
  }

  /** The bare repository's directory; throws PermanentError for names that are not safe path segments. */
  repositoryPath(repo: RepoRef): string {
    for (const [label, value] of [["owner", repo.owner], ["repository name", repo.name]] as const) {
      if (!isLocalRepoName(value)) {
        throw new PermanentError(
          `invalid ${label} ${JSON.stringify(value.slice(0, 120))}`,
          "Use letters, digits, '.', '-' and '_' only, not starting with a dot (at most 100 characters).",
        );
      }
    }
    return join(this.root, repo.owner, `${repo.name}.git`);
  }

  async getRepository(repo: RepoRef): Promise<RepoInfo | null> {
    const dir = this.repositoryPath(repo);
    if (!(await isDirectory(dir))) return null;
    const settings = await readSettings(dir);
    const defaultBranch = (await git(["symbolic-ref", "--short", "HEAD"], { gitDir: dir })).stdout.toString("utf8").trim();
    const head = await resolveBranch(dir, defaultBranch);
    return {
      owner: repo.owner,
      name: repo.name,
      fullName: `${repo.owner}/${repo.name}`,
      htmlUrl: pathToFileURL(dir).href,
      defaultBranch,
      private: settings.private,
      empty: head === null || head === settings.initialCommit,
    };
  }

  async createRepository(repo: RepoRef, options: { description: string; private: boolean }): Promise<RepoInfo> {
    const dir = this.repositoryPath(repo);
    await this.exclusive(dir, async () => {
      if (await exists(dir)) {
        throw new PermanentError(`repository ${repo.owner}/${repo.name} already exists`, "Choose another repository name or remove the existing one.");
      }
      await mkdir(join(this.root, repo.owner), { recursive: true });
      // Built under a name no valid repository can have, then renamed: a crash never leaves half a repository.
      const staging = join(this.root, repo.owner, `.creating-${repo.name}-${randomUUID()}`);
      try {
        await git(["init", "--bare", "--quiet", "--template=", staging]);
        await git(["symbolic-ref", "HEAD", `refs/heads/${DEFAULT_BRANCH}`], { gitDir: staging });
        const readme = `# ${repo.name}\n${options.description ? `\n${options.description}\n` : ""}`;
        const tree = await writeTree(staging, await hashFiles(staging, new Map(), [{ path: "README.md", content: readme }]));
        const initialCommit = await commitTree(staging, tree, null, "Initial commit");
        await updateRef(staging, DEFAULT_BRANCH, initialCommit, null);
        await writeJson(join(staging, SETTINGS_FILE), {
          description: options.description,
          private: options.private,
          initialCommit,
          pages: null,
        } satisfies RepoSettings);
        await rename(staging, dir);
      } catch (error) {
        await rm(staging, { recursive: true, force: true });
        throw error;
      }
    });
    return (await this.getRepository(repo))!;
  }

  async getBranchHead(repo: RepoRef, branch: string): Promise<string | null> {
    return resolveBranch(await this.existingRepository(repo), checkBranch(branch));
  }

  async readFiles(repo: RepoRef, commitSha: string): Promise<ForgeFile[]> {
    const dir = await this.existingRepository(repo);
    await requireCommit(dir, commitSha);
    const blobs = [...(await listTree(dir, commitSha))].filter(([, entry]) => entry.type === "blob");
    const contents = await catFileBatch(dir, blobs.map(([, entry]) => entry.sha));
    return blobs.map(([path], i) => ({ path, content: decodeText(contents[i]!.content) }));
  }

  async commitFiles(repo: RepoRef, request: CommitRequest): Promise<CommitResult> {
    const dir = await this.existingRepository(repo);
    const branch = checkBranch(request.branch);
    return this.exclusive(dir, async () => {
      if (request.parentSha !== null) await requireCommit(dir, request.parentSha);
      const entries = request.replaceTree || request.parentSha === null ? new Map<string, TreeEntry>() : await listTree(dir, request.parentSha);
      if (!request.replaceTree) for (const path of request.deletions ?? []) removePath(entries, checkFilePath(path));
      const tree = await writeTree(dir, await hashFiles(dir, entries, request.files));
      const head = await resolveBranch(dir, branch);
      if (head !== null && (await treeOf(dir, head)) === tree) return { sha: head, htmlUrl: this.commitUrl(dir, head), created: false };
      const sha = await commitTree(dir, tree, request.parentSha, request.message);
      // Like a bot force-pushing its own branch: the new commit builds on parentSha even if the branch moved
      // elsewhere, but only if nobody changed the branch since we looked at it.
      await updateRef(dir, branch, sha, head);
      return { sha, htmlUrl: this.commitUrl(dir, sha), created: true };
    });
  }

  async findPullRequest(repo: RepoRef, head: string): Promise<PullRequestInfo | null> {
    const dir = await this.existingRepository(repo);
    const pulls = await readPulls(dir);
    const found = pulls.filter((p) => p.head === head && (p.state === "open" || p.merged)).sort((a, b) => b.number - a.number)[0];
    return found ? this.pullInfo(dir, found) : null;
  }

  async openPullRequest(repo: RepoRef, request: { head: string; base: string; title: string; body: string }): Promise<PullRequestInfo> {
    const dir = await this.existingRepository(repo);
    const head = checkBranch(request.head);
    const base = checkBranch(request.base);
    return this.exclusive(dir, async () => {
      const pulls = await readPulls(dir);
      const open = pulls.find((p) => p.head === head && p.state === "open");
      if (open) return this.pullInfo(dir, open);
      for (const branch of [head, base]) {
        if ((await resolveBranch(dir, branch)) === null) {
          throw new PermanentError(`cannot open a pull request: branch ${branch} does not exist`, "Commit to the branch before opening the pull request.");
        }
      }
      const record: PullRecord = {
        number: Math.max(0, ...pulls.map((p) => p.number)) + 1,
        head,
        base,
        title: request.title,
        body: request.body,
        state: "open",
        merged: false,
        mergeCommitSha: null,
      };
      await writeJson(join(dir, PULLS_FILE), [...pulls, record]);
      return this.pullInfo(dir, record);
    });
  }

  async mergePullRequest(repo: RepoRef, number: number, request: { title: string }): Promise<{ sha: string }> {
    const dir = await this.existingRepository(repo);
    return this.exclusive(dir, async () => {
      const pulls = await readPulls(dir);
      const pull = pulls.find((p) => p.number === number);
      if (!pull) throw new PermanentError(`pull request #${number} does not exist in ${repo.owner}/${repo.name}`);
      if (pull.merged && pull.mergeCommitSha) return { sha: pull.mergeCommitSha };
      if (pull.state === "closed") throw new PermanentError(`pull request #${number} is closed without being merged`, "Open a new pull request.");
      const headSha = await resolveBranch(dir, pull.head);
      const baseSha = await resolveBranch(dir, pull.base);
      if (headSha === null || baseSha === null) {
        throw new PermanentError(`cannot merge pull request #${number}: branch ${headSha === null ? pull.head : pull.base} is gone`);
      }
      const tree = await squashTree(dir, baseSha, headSha);
      // An unchanged base tree means there is nothing to add, or a previous attempt already merged and then crashed.
      let sha = baseSha;
      if ((await treeOf(dir, baseSha)) !== tree) {
        sha = await commitTree(dir, tree, baseSha, request.title);
        await updateRef(dir, pull.base, sha, baseSha);
      }
      const merged: PullRecord = { ...pull, state: "closed", merged: true, mergeCommitSha: sha };
      await writeJson(join(dir, PULLS_FILE), pulls.map((p) => (p.number === number ? merged : p)));
      return { sha };
    });
  }

  async ensurePages(repo: RepoRef, options: { branch: string; buildType: "legacy" | "workflow" }): Promise<PagesInfo> {
    const dir = await this.existingRepository(repo);
    const branch = checkBranch(options.branch);
    await this.exclusive(dir, async () => {
      const settings = await readSettings(dir);
      if (settings.pages?.branch === branch && settings.pages.buildType === options.buildType) return;
      await writeJson(join(dir, SETTINGS_FILE), { ...settings, pages: { branch, buildType: options.buildType } } satisfies RepoSettings);
    });
    return { url: `${this.pagesBaseUrl}/${repo.owner}/${repo.name}/`, buildType: options.buildType };
  }

  /** The app serves the branch directly, so a commit is "built" as soon as the repository has it. */
  async pagesBuildState(repo: RepoRef, commitSha: string): Promise<PagesBuildState> {
    const dir = await this.existingRepository(repo);
    return (await hasCommit(dir, commitSha)) ? { status: "built" } : { status: "pending" };
  }

  /** The branch Pages serves, or null when the repository is missing or Pages is not enabled. */
  async pagesBranch(repo: RepoRef): Promise<string | null> {
    const dir = this.repositoryPath(repo);
    if (!(await isDirectory(dir))) return null;
    return (await readSettings(dir)).pages?.branch ?? null;
  }

  /**
   * What `path` holds at a branch or a full commit sha: a file's bytes, a folder, or null when it is missing.
   * "" is the root folder. Paths with empty, "." or ".." segments are a PermanentError.
   */
  async readPath(repo: RepoRef, ref: string, path: string): Promise<RepoPathContent | null> {
    const dir = await this.existingRepository(repo);
    const rev = FULL_SHA.test(ref) ? ref : `refs/heads/${checkBranch(ref)}`;
    const [object] = await catFileBatch(dir, [`${rev}:${path === "" ? "" : checkFilePath(path)}`], true);
    if (!object) return null;
    if (object.type === "tree") return { kind: "folder" };
    return object.type === "blob" ? { kind: "file", content: object.content } : null;
  }

  private async existingRepository(repo: RepoRef): Promise<string> {
    const dir = this.repositoryPath(repo);
    if (!(await isDirectory(dir))) {
      throw new PermanentError(`repository ${repo.owner}/${repo.name} does not exist in the local forge`, "Create the repository first.");
    }
    return dir;
  }

  private commitUrl(dir: string, sha: string): string {
    return `${pathToFileURL(dir).href}#commit-${sha}`;
  }

  private pullInfo(dir: string, pull: PullRecord): PullRequestInfo {
    return {
      number: pull.number,
      htmlUrl: `${pathToFileURL(dir).href}#pull-${pull.number}`,
      head: pull.head,
      base: pull.base,
      state: pull.state,
      merged: pull.merged,
      mergeCommitSha: pull.mergeCommitSha,
    };
  }

  /** Runs `work` after every earlier piece of work on the same key has settled. */
  private async exclusive<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(key) ?? Promise.resolve();
    const run = previous.then(work);
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    this.locks.set(key, settled);
    try {
      return await run;
    } finally {
      if (this.locks.get(key) === settled) this.locks.delete(key);
    }
  }
}

const SETTINGS_FILE = "brief-bot.json";
const PULLS_FILE = "brief-bot-pulls.json";

async function readSettings(dir: string): Promise<RepoSettings> {
  const raw = await readJson(join(dir, SETTINGS_FILE));
  // A bare repository someone put there by hand has no settings: treat it as public without Pages.
  return raw === undefined ? { description: "", private: false, initialCommit: null, pages: null } : RepoSettings.parse(raw);
}

async function readPulls(dir: string): Promise<PullRecord[]> {
  const raw = await readJson(join(dir, PULLS_FILE));
  return raw === undefined ? [] : PullRecords.parse(raw);
}

async function readJson(file: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(file, "utf8")) as unknown;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/** Write then rename, so a crash leaves the old file or the new one, never half of one. */
async function writeJson(file: string, value: unknown): Promise<void> {
  const temp = `${file}.${randomUUID()}.tmp`;
  await writeFile(temp, `${JSON.stringify(value, null, 2)}\n`);
  await rename(temp, file);
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw error;
  }
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw error;
  }
}

/** Conservative branch names (a subset of git check-ref-format) that can never be read as an option or a revision expression. */
function checkBranch(branch: string): string {
  const ok =
    /^[A-Za-z0-9_][A-Za-z0-9._\/-]*$/.test(branch) &&
    branch.length <= 200 &&
    !branch.split("/").some((part) => part === "" || part.startsWith(".") || part.endsWith(".lock")) &&
    !branch.includes("..") &&
    !branch.endsWith(".");
  if (!ok) throw new PermanentError(`invalid branch name ${JSON.stringify(branch.slice(0, 200))}`, "Use letters, digits, '.', '-', '_' and '/' only.");
  return branch;
}

function checkFilePath(path: string): string {
  const parts = path.split("/");
  if (path.includes("\0") || /[\r\n]/.test(path) || parts.some((part) => part === "" || part === "." || part === ".." || part.toLowerCase() === ".git")) {
    throw new PermanentError(`invalid file path ${JSON.stringify(path.slice(0, 200))}`, "Use relative paths without empty, '.', '..' or '.git' segments.");
  }
  return path;
}

async function resolveBranch(dir: string, branch: string): Promise<string | null> {
  const result = await git(["rev-parse", "--verify", "--quiet", `refs/heads/${branch}^{commit}`], { gitDir: dir, okExitCodes: [1] });
  return result.exitCode === 0 ? result.stdout.toString("utf8").trim() : null;
}

async function hasCommit(dir: string, sha: string): Promise<boolean> {
  if (!SHA.test(sha)) return false;
  const result = await git(["cat-file", "-e", `${sha}^{commit}`], { gitDir: dir, okExitCodes: [1, 128] });
  return result.exitCode === 0;
}

async function requireCommit(dir: string, sha: string): Promise<void> {
  if (!(await hasCommit(dir, sha))) throw new PermanentError(`commit ${JSON.stringify(sha.slice(0, 80))} does not exist in the repository`);
}

async function treeOf(dir: string, commit: string): Promise<string> {
  return (await git(["rev-parse", `${commit}^{tree}`], { gitDir: dir })).stdout.toString("utf8").trim();
}

/** Every entry of a commit's tree, recursively, keyed by path. */
async function listTree(dir: string, treeish: string): Promise<Map<string, TreeEntry>> {
  const out = (await git(["ls-tree", "-r", "-z", treeish], { gitDir: dir })).stdout.toString("utf8");
  const entries = new Map<string, TreeEntry>();
  for (const record of out.split("\0")) {
    const match = /^(\d+) (\w+) ([0-9a-f]+)\t([\s\S]+)$/.exec(record);
    if (match) entries.set(match[4]!, { mode: match[1]!, type: match[2]!, sha: match[3]! });
  }
  return entries;
}

/** Removes a file, or a folder with everything in it. */
function removePath(entries: Map<string, TreeEntry>, path: string): void {
  entries.delete(path);
  for (const key of [...entries.keys()]) if (key.startsWith(`${path}/`)) entries.delete(key);
}

/** Stores the files as blobs and places them in `entries`; a file replaces a folder of the same path and vice versa. */
async function hashFiles(dir: string, entries: Map<string, TreeEntry>, files: readonly ForgeFile[]): Promise<Map<string, TreeEntry>> {
  for (const file of files) checkFilePath(file.path);
  const shas = await mapLimit(files, 8, async (file) => (await git(["hash-object", "-w", "--stdin"], { gitDir: dir, input: file.content })).stdout.toString("utf8").trim());
  files.forEach((file, i) => {
    removePath(entries, file.path);
    const parts = file.path.split("/");
    for (let n = 1; n < parts.length; n++) entries.delete(parts.slice(0, n).join("/"));
    entries.set(file.path, { mode: "100644", type: "blob", sha: shas[i]! });
  });
  return entries;
}

/** Writes nested trees through a throwaway index, which a bare repository has none of. */
async function writeTree(dir: string, entries: Map<string, TreeEntry>): Promise<string> {
  const index = join(dir, `brief-bot-index-${randomUUID()}`);
  const env = { GIT_INDEX_FILE: index };
  try {
    const input = [...entries].map(([path, entry]) => `${entry.mode} ${entry.sha}\t${path}\0`).join("");
    await git(["update-index", "--add", "-z", "--index-info"], { gitDir: dir, env, input });
    return (await git(["write-tree"], { gitDir: dir, env })).stdout.toString("utf8").trim();
  } finally {
    await rm(index, { force: true });
  }
}

async function commitTree(dir: string, tree: string, parent: string | null, message: string): Promise<string> {
  const args = ["commit-tree", tree, ...(parent ? ["-p", parent] : []), "-F", "-"];
  return (await git(args, { gitDir: dir, input: message })).stdout.toString("utf8").trim();
}

/** Moves a branch only if it still points at `expected` (null: it must not exist yet). */
async function updateRef(dir: string, branch: string, sha: string, expected: string | null): Promise<void> {
  try {
    await git(["update-ref", `refs/heads/${branch}`, sha, expected ?? ""], { gitDir: dir });
  } catch (error) {
    if (error instanceof GitError) throw new RetryableError(`branch ${branch} moved while it was being updated; try again (${error.stderr.split("\n")[0] ?? ""})`);
    throw error;
  }
}

/** The tree a squash merge puts on base: the head's tree when head contains base, otherwise git's three-way merge. */
async function squashTree(dir: string, baseSha: string, headSha: string): Promise<string> {
  const ancestor = await git(["merge-base", "--is-ancestor", baseSha, headSha], { gitDir: dir, okExitCodes: [1] });
  if (ancestor.exitCode === 0) return treeOf(dir, headSha);
  const merged = await git(["merge-tree", "--write-tree", "--no-messages", baseSha, headSha], { gitDir: dir, okExitCodes: [1] });
  if (merged.exitCode === 1) {
    throw new PermanentError("the pull request conflicts with its base branch", "Revise the app again from the current base branch.");
  }
  return merged.stdout.toString("utf8").split("\n")[0]!.trim();
}

interface BatchObject {
  type: string;
  content: Buffer;
}

/** Reads many objects through one `git cat-file --batch`; missing objects are an error unless `allowMissing`. */
async function catFileBatch(dir: string, names: readonly string[], allowMissing = false): Promise<(BatchObject | null)[]> {
  if (names.length === 0) return [];
  const out = (await git(["cat-file", "--batch"], { gitDir: dir, input: names.map((n) => `${n}\n`).join("") })).stdout;
  const objects: (BatchObject | null)[] = [];
  let offset = 0;
  for (const name of names) {
    const newline = out.indexOf(0x0a, offset);
    const header = out.subarray(offset, newline).toString("utf8");
    const match = /^[0-9a-f]+ (\w+) (\d+)$/.exec(header);
    if (!match) {
      if (!allowMissing) throw new PermanentError(`git object ${JSON.stringify(name.slice(0, 120))} is missing from the repository`);
      objects.push(null);
      offset = newline + 1;
      continue;
    }
    const size = Number(match[2]);
    objects.push({ type: match[1]!, content: Buffer.from(out.subarray(newline + 1, newline + 1 + size)) });
    offset = newline + 1 + size + 1;
  }
  return objects;
}

const UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Text when the bytes are valid UTF-8 without NUL (decoding keeps a BOM so the round trip is exact), bytes otherwise. */
function decodeText(bytes: Buffer): string | Buffer {
  if (bytes.includes(0)) return bytes;
  try {
    return UTF8.decode(bytes);
  } catch {
    return bytes;
  }
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
