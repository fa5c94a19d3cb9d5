import type { Logger } from "pino";
import { ProbotOctokit } from "probot";
import { PermanentError } from "../../pipeline/errors.js";
import { GitHubForge, type GitHubForgeOptions, type OwnerType } from "./github-forge.js";

/**
 * Probot's Octokit (paginate, retry, throttling, REST methods), except that 405 and 409 are not retried by
 * Octokit: the forge waits on those itself (a repository still being created, a pull request whose
 * mergeability is being computed) with its own short, injectable delays. Pass it to Probot as `Octokit`.
 */
export const ForgeOctokit = ProbotOctokit.defaults({
  retry: { doNotRetry: [400, 401, 403, 404, 405, 409, 410, 422, 451] },
});
export type ForgeOctokit = InstanceType<typeof ForgeOctokit>;

/** The part of a Probot instance the forge needs: `auth()` as the app, `auth(id)` as one installation. */
export interface GitHubAppAuth {
  auth(installationId?: number): Promise<ProbotOctokit>;
}

/** Octokit options worth changing: tests turn throttling (1 s between writes) and retries off. */
export interface OctokitTuning {
  throttle?: { enabled: boolean };
  retry?: { enabled: boolean };
  log?: Logger;
}

export type GitHubCredentials =
  | { mode: "app"; app: GitHubAppAuth }
  | { mode: "token"; token: string; baseUrl?: string; octokit?: OctokitTuning };

export interface GitHubForgeFactoryOptions {
  credentials: GitHubCredentials;
  /** Passed to every forge (injected delays in tests). */
  forge?: Pick<GitHubForgeOptions, "sleep" | "retryDelaysMs">;
}

/** The REST API root: GitHub Enterprise Server through Probot's GHE_HOST / GHE_PROTOCOL, else github.com. */
export function gitHubBaseUrl(env: { GHE_HOST?: string | undefined; GHE_PROTOCOL?: string | undefined }): string {
  if (!env.GHE_HOST) return "https://api.github.com";
  return `${env.GHE_PROTOCOL ?? "https"}://${env.GHE_HOST}/api/v3`;
}

/** A token-authenticated client: a personal access token or any token GitHub accepts as `Authorization: token`. */
export function createTokenOctokit(token: string, baseUrl = "https://api.github.com", tuning: OctokitTuning = {}): ProbotOctokit {
  return new ForgeOctokit({
    auth: { token },
    baseUrl,
    ...(tuning.throttle ? { throttle: tuning.throttle } : {}),
    ...(tuning.retry ? { retry: tuning.retry } : {}),
    ...(tuning.log ? { log: tuning.log } : {}),
  });
}

interface Installation {
  id: number;
  ownerType: OwnerType | undefined;
}

/**
 * Returns `owner => forge`. As a GitHub App, each owner gets a client authenticated as the app's installation
 * on that account (looked up once per owner, then cached); with a token, every owner shares one client.
 */
export function createGitHubForgeFactory(options: GitHubForgeFactoryOptions): (owner: string) => Promise<GitHubForge> {
  const { credentials } = options;
  if (credentials.mode === "token") {
    const octokit = createTokenOctokit(credentials.token, credentials.baseUrl, credentials.octokit);
    return async () => new GitHubForge({ ...options.forge, octokit, kind: "github-token" });
  }
  const installations = new Map<string, Promise<Installation>>();
  return async (owner) => {
    const key = owner.toLowerCase();
    let installation = installations.get(key);
    if (!installation) {
      installation = findInstallation(credentials.app, owner);
      installations.set(key, installation);
      // A failed lookup (not installed yet, GitHub down) is asked again next time.
      installation.catch(() => installations.delete(key));
    }
    const { id, ownerType } = await installation;
    const octokit = await credentials.app.auth(id);
    return new GitHubForge({ ...options.forge, octokit, kind: "github-app", ...(ownerType ? { ownerType } : {}) });
  };
}

async function findInstallation(app: GitHubAppAuth, owner: string): Promise<Installation> {
  const appOctokit = await app.auth();
  try {
    const { data } = await appOctokit.rest.apps.getOrgInstallation({ org: owner });
    return { id: data.id, ownerType: "Organization" };
  } catch (error) {
    if (statusOf(error) !== 404) throw installationLookupError(error, owner);
  }
  try {
    const { data } = await appOctokit.rest.apps.getUserInstallation({ username: owner });
    const account = data.account;
    const type = account && "type" in account ? account.type : undefined;
    return { id: data.id, ownerType: type === "Organization" ? "Organization" : type === "User" ? "User" : undefined };
  } catch (error) {
    throw installationLookupError(error, owner);
  }
}

function installationLookupError(error: unknown, owner: string): unknown {
  const status = statusOf(error);
  if (status === 404) {
    return new PermanentError(
      `The GitHub App is not installed on the account ${owner}.`,
      `Install the app on ${owner} (the account named in BRIEF_OWNER) with access to all repositories, since it creates new ones.`,
    );
  }
  if (status === 401) {
    return new PermanentError(
      "GitHub rejected the app's credentials while looking up its installation.",
      "Check APP_ID and PRIVATE_KEY (or PRIVATE_KEY_PATH): they must belong to the same GitHub App.",
    );
  }
  return error;
}

function statusOf(error: unknown): number | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const status = (error as { status?: unknown }).status;
  return typeof status === "number" ? status : undefined;
}
