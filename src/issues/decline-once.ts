import { createHash } from "node:crypto";
import type { ProbotOctokit } from "probot";
import type { IssueIndex, IssueRef } from "./issue-index.js";
import { issueKey } from "./issue-index.js";

/** The one polite comment an issue gets when someone without write access tries to start a build. */
export async function declineOnce(octokit: ProbotOctokit, index: IssueIndex, issue: IssueRef, login: string): Promise<void> {
  const key = `declined:${issueKey(issue)}`;
  if (index.wasDone(key)) return;
  await octokit.rest.issues.createComment({
    owner: issue.owner,
    repo: issue.repo,
    issue_number: issue.number,
    body: `Thanks, @${login}! brief-bot builds briefs only for people with write access to this repository, so nothing will be built from this. A maintainer can start it by adding the label again.`,
  });
  index.markDone(key);
}

/** A comment about a problem (an invalid brief or configuration), posted once per issue and wording. */
export async function commentOnce(octokit: ProbotOctokit, index: IssueIndex, issue: IssueRef, body: string): Promise<void> {
  const key = `comment:${issueKey(issue)}:${createHash("sha256").update(body).digest("hex").slice(0, 16)}`;
  if (index.wasDone(key)) return;
  await octokit.rest.issues.createComment({ owner: issue.owner, repo: issue.repo, issue_number: issue.number, body });
  index.markDone(key);
}
