import type { ProbotOctokit } from "probot";
import type { Brief } from "../intake/brief-schema.js";
import type { FetchLike } from "../net/safe-fetch.js";
import { PermanentError, RetryableError } from "../pipeline/errors.js";
import { isGitHubAttachmentUrl } from "./issue-attachments.js";

export interface IssueAttachmentFetcherOptions {
  /** An Octokit authenticated as the installation (`(id) => probot.auth(id)`); its token reads private attachments. */
  auth(installationId: number): Promise<ProbotOctokit>;
  /** For route briefs' http(s) attachments: the server's filtered fetch (PipelineDeps.fetch). */
  fallback: FetchLike;
  /** The fetch for GitHub's hosts (tests pass one; default: global fetch). */
  fetch?: FetchLike;
  maxBytes: number;
}

const MAX_REDIRECTS = 5;

/**
 * PipelineDeps.fetchAttachment: issue attachments come only from GitHub's attachment hosts and are downloaded
 * with the installation token, so files attached in private repositories work too. Redirects are followed by
 * hand: every hop must stay on github.com or githubusercontent.com, and the token is sent to github.com only
 * (the storage hosts get signed URLs). Route briefs' URLs go through the fallback fetch, unauthenticated.
 */
export function createIssueAttachmentFetcher(options: IssueAttachmentFetcherOptions) {
  const fetchGitHub = options.fetch ?? ((url, init) => fetch(url, init));
  return async (brief: Brief, url: string, signal: AbortSignal): Promise<{ bytes: Buffer; mediaType: string }> => {
    const installationId = brief.source === "issue" ? brief.issue?.installationId : null;
    if (brief.source !== "issue") return read(await send(options.fallback, url, {}, signal), url, options.maxBytes);
    if (!isGitHubAttachmentUrl(url)) {
      throw new PermanentError(`attachment ${url} is not a file attached on GitHub`, "attach files by dropping them into the issue or comment");
    }
    const token = installationId ? await installationToken(options, installationId) : null;
    let current = url;
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      const host = new URL(current).hostname.toLowerCase();
      const headers: Record<string, string> = { accept: "*/*", "user-agent": "brief-bot" };
      if (token && host === "github.com") headers.authorization = `token ${token}`;
      const response = await send(fetchGitHub, current, { headers, redirect: "manual" }, signal);
      const location = response.headers.get("location");
      if (response.status >= 300 && response.status < 400 && location) {
        const next = new URL(location, current);
        if (next.protocol !== "https:" || !isGitHubHost(next.hostname)) {
          throw new PermanentError(`attachment ${url} redirects outside GitHub (${next.hostname})`);
        }
        current = next.toString();
        continue;
      }
      return read(response, url, options.maxBytes);
    }
    throw new PermanentError(`attachment ${url} redirects more than ${MAX_REDIRECTS} times`);
  };
}

function isGitHubHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  return host === "github.com" || host.endsWith(".githubusercontent.com");
}

async function installationToken(options: IssueAttachmentFetcherOptions, installationId: number): Promise<string> {
  const octokit = await options.auth(installationId);
  const auth = (await octokit.auth({ type: "installation" })) as { token?: unknown };
  if (typeof auth.token !== "string") throw new PermanentError("the installation has no token to download attachments with");
  return auth.token;
}

async function send(fetcher: FetchLike, url: string, init: RequestInit, signal: AbortSignal): Promise<Response> {
  try {
    return await fetcher(url, { ...init, signal });
  } catch (error) {
    if ((error as Error).name === "BlockedAddressError") throw new PermanentError(`attachment ${url}: ${(error as Error).message}`);
    throw new RetryableError(`attachment ${url}: download failed (${(error as Error).message})`);
  }
}

async function read(response: Response, url: string, maxBytes: number): Promise<{ bytes: Buffer; mediaType: string }> {
  if (response.status >= 500 || response.status === 429) throw new RetryableError(`attachment ${url} answered ${response.status}`);
  if (!response.ok) {
    throw new PermanentError(`attachment ${url} answered ${response.status}`, "check that the file is still attached to the issue and the app is installed on its repository");
  }
  const length = Number(response.headers.get("content-length"));
  if (length > maxBytes) throw new PermanentError(`attachment ${url} is larger than ${maxBytes} bytes`);
  const bytes = Buffer.from(await response.arrayBuffer());
  if (bytes.length > maxBytes) throw new PermanentError(`attachment ${url} is larger than ${maxBytes} bytes`);
  return { bytes, mediaType: (response.headers.get("content-type") ?? "application/octet-stream").split(";")[0]!.trim() };
}
