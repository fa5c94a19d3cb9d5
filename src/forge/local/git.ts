import { execFile } from "node:child_process";
import { devNull } from "node:os";
import { PermanentError } from "../../pipeline/errors.js";

export interface GitOptions {
  /** Runs against this repository (`--git-dir`), e.g. a bare repository. */
  gitDir?: string;
  cwd?: string;
  /** Written to git's standard input. */
  input?: string | Buffer;
  /** Extra environment, e.g. GIT_INDEX_FILE. */
  env?: Record<string, string>;
  /** Exit codes that are answers rather than failures (`rev-parse --verify -q` exits 1 for "no such ref"). */
  okExitCodes?: readonly number[];
}

export interface GitResult {
  stdout: Buffer;
  exitCode: number;
}

export class GitError extends Error {
  override name = "GitError";
  constructor(
    message: string,
    readonly exitCode: number,
    readonly stderr: string,
  ) {
    super(message);
  }
}

const IDENTITY = { name: "brief-bot", email: "brief-bot@localhost" };

/** Settings that must not come from the user's configuration: commits would differ from machine to machine. */
const CONFIG = ["-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false", "-c", "core.autocrlf=false", "-c", "core.hooksPath=" + devNull];

/**
 * The environment of every git process: inherited GIT_* variables are dropped (a hook's GIT_DIR or
 * GIT_INDEX_FILE would redirect us to another repository), system and global config are ignored, and the
 * identity is fixed.
 */
export function gitEnvironment(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith("GIT_")) env[key] = value;
  return {
    ...env,
    LC_ALL: "C",
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_CONFIG_GLOBAL: devNull,
    GIT_ATTR_NOSYSTEM: "1",
    GIT_TERMINAL_PROMPT: "0",
    GIT_AUTHOR_NAME: IDENTITY.name,
    GIT_AUTHOR_EMAIL: IDENTITY.email,
    GIT_COMMITTER_NAME: IDENTITY.name,
    GIT_COMMITTER_EMAIL: IDENTITY.email,
    ...extra,
  };
}

/** Runs the git CLI without a shell; resolves with raw stdout so blobs stay byte for byte. */
export function git(args: readonly string[], options: GitOptions = {}): Promise<GitResult> {
  const fullArgs = [...CONFIG, ...(options.gitDir ? [`--git-dir=${options.gitDir}`] : []), ...args];
  return new Promise((resolve, reject) => {
    const child = execFile(
      "git",
      fullArgs,
      { encoding: "buffer", maxBuffer: 512 * 1024 * 1024, cwd: options.cwd, env: gitEnvironment(options.env) },
      (error, stdout, stderr) => {
        if (!error) return resolve({ stdout, exitCode: 0 });
        const code = (error as NodeJS.ErrnoException).code;
        if (code === "ENOENT") {
          return reject(new PermanentError("git is not installed", "Install git and make sure it is on PATH; the local forge keeps repositories with it."));
        }
        if (typeof code === "number" && options.okExitCodes?.includes(code)) return resolve({ stdout, exitCode: code });
        const text = stderr.toString("utf8").trim();
        reject(new GitError(`git ${args[0] ?? ""} failed: ${text.split("\n")[0] ?? ""}`, typeof code === "number" ? code : -1, text));
      },
    );
    // git may exit before reading all input (e.g. on a bad argument); the exit status reports that, not EPIPE.
    child.stdin?.on("error", () => undefined);
    child.stdin?.end(options.input);
  });
}
