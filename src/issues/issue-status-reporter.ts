import type { Logger } from "pino";
import type { ProbotOctokit } from "probot";
import type { Brief } from "../intake/brief-schema.js";
import type { BriefResult, BriefStore } from "../store/brief-store.js";
import type { StatusReporter } from "../pipeline/pipeline-deps.js";
import { briefStatus } from "../http/brief-status.js";
import { checkRunOutput } from "./check-run-output.js";
import { IssueIndex, type IssueRef } from "./issue-index.js";
import { renderStatusComment, statusMarker, type ReportEvent } from "./render-status-comment.js";

export interface IssueStatusReporterOptions {
  /** An Octokit authenticated as the app's installation (`(id) => probot.auth(id)`). */
  auth(installationId: number): Promise<ProbotOctokit>;
  store: BriefStore;
  log: Logger;
  /** The check run's name. */
  appName?: string;
}

/**
 * Shows an issue brief's progress on its issue: one status comment per brief, edited in place at every step
 * change; at the end a check run on the generated commit, a 🚀 or 😕 reaction, a review request on the
 * pull request of a later round, and one "Live" comment once the page is up. Errors are logged, never thrown.
 */
export function createIssueStatusReporter(options: IssueStatusReporterOptions): StatusReporter {
  const { store } = options;
  const index = new IssueIndex(store);
  const appName = options.appName ?? "brief-bot";

  return {
    async update(given, reported) {
      const issue = given.issue;
      if (given.source !== "issue" || !issue?.installationId) return;
      const brief = store.getBrief(given.id) ?? given;
      // After the merge the round runs on to Pages; its end is a success, not another wait for review.
      const event: ReportEvent = reported === "awaiting-review" && brief.mergeCommitSha ? "succeeded" : reported;
      const log = options.log.child({ briefId: brief.id, issue: `${issue.owner}/${issue.repo}#${issue.number}`, event });
      const attempt = async (what: string, work: () => Promise<void>) => {
        try {
          await work();
        } catch (error) {
          log.warn({ err: error, what }, "issue status update failed");
        }
      };
      let octokit: ProbotOctokit;
      try {
        octokit = await options.auth(issue.installationId);
      } catch (error) {
        log.warn({ err: error }, "could not authenticate as the installation to report status");
        return;
      }
      const result = store.getResult(brief.id);
      if (result.pr_number && result.repo_full_name) index.setPullRequest(result.repo_full_name, result.pr_number, brief.id);

      await attempt("status comment", () => upsertStatusComment(octokit, store, issue, brief, event));
      if (event === "step") return;
      await attempt("check run", () => upsertCheckRun(octokit, store, brief, event, appName));
      if (event === "awaiting-review") await attempt("review request", () => requestReview(octokit, index, brief, result));
      if (event !== "awaiting-review") {
        await attempt("reaction", async () => {
          await octokit.rest.reactions.createForIssue({ owner: issue.owner, repo: issue.repo, issue_number: issue.number, content: event === "succeeded" ? "rocket" : "confused" });
        });
      }
      if (event === "succeeded" && result.pages_url && !index.wasDone(`live:${brief.id}`)) {
        await attempt("live comment", async () => {
          await octokit.rest.issues.createComment({ owner: issue.owner, repo: issue.repo, issue_number: issue.number, body: `Live: ${result.pages_url} (round ${brief.round})` });
          index.markDone(`live:${brief.id}`);
        });
      }
    },
  };
}

async function upsertStatusComment(octokit: ProbotOctokit, store: BriefStore, issue: IssueRef, brief: Brief, event: ReportEvent): Promise<void> {
  const status = briefStatus(store, brief.id);
  if (!status) return;
  const body = renderStatusComment(brief, status, store.getResult(brief.id), event);
  const key = `status-comment:${brief.id}`;
  const id = store.getValue<number>(key) ?? (await findStatusComment(octokit, issue, brief.id));
  if (id !== null) {
    try {
      await octokit.rest.issues.updateComment({ owner: issue.owner, repo: issue.repo, comment_id: id, body });
      store.setValue(key, id);
      return;
    } catch (error) {
      // Someone deleted the comment: write a new one.
      if ((error as { status?: number }).status !== 404) throw error;
    }
  }
  const { data } = await octokit.rest.issues.createComment({ owner: issue.owner, repo: issue.repo, issue_number: issue.number, body });
  store.setValue(key, data.id);
}

/** After a crash between creating the comment and storing its id, the marker finds it again. */
async function findStatusComment(octokit: ProbotOctokit, issue: IssueRef, briefId: string): Promise<number | null> {
  const marker = statusMarker(briefId);
  const pages = octokit.paginate.iterator(octokit.rest.issues.listComments, { owner: issue.owner, repo: issue.repo, issue_number: issue.number, per_page: 100 });
  for await (const page of pages) {
    const found = page.data.find((c) => c.body?.includes(marker));
    if (found) return found.id;
  }
  return null;
}

async function upsertCheckRun(octokit: ProbotOctokit, store: BriefStore, brief: Brief, event: ReportEvent, name: string): Promise<void> {
  const result = store.getResult(brief.id);
  const commit = store.getStep(brief.id, "commit")?.output as { sha?: unknown } | null | undefined;
  const sha = result.commit_sha ?? (typeof commit?.sha === "string" ? commit.sha : null);
  if (!sha || !result.repo_full_name) return;
  const [owner, repo] = result.repo_full_name.split("/") as [string, string];
  const output = checkRunOutput(brief, result, event);
  const key = `check-run:${brief.id}:${sha}`;
  const existing = store.getValue<number>(key);
  const body = { name, status: "completed" as const, conclusion: output.conclusion, completed_at: new Date().toISOString(), output: { title: output.title, summary: output.summary } };
  if (existing) {
    await octokit.rest.checks.update({ owner, repo, check_run_id: existing, ...body });
    return;
  }
  const { data } = await octokit.rest.checks.create({ owner, repo, head_sha: sha, ...body });
  store.setValue(key, data.id);
}

/** Asks the person who asked for the round (a `/revise` comment, a review) to review its pull request. */
async function requestReview(octokit: ProbotOctokit, index: IssueIndex, brief: Brief, result: BriefResult): Promise<void> {
  const login = index.requesterOf(brief.id);
  if (!login || !result.pr_number || !result.repo_full_name || index.wasDone(`review-request:${brief.id}`)) return;
  const [owner, repo] = result.repo_full_name.split("/") as [string, string];
  try {
    await octokit.rest.pulls.requestReviewers({ owner, repo, pull_number: result.pr_number, reviewers: [login] });
  } catch (error) {
    // 422: the person cannot be asked (the pull request's author, or not a collaborator of that repository).
    if ((error as { status?: number }).status !== 422) throw error;
  }
  index.markDone(`review-request:${brief.id}`);
}
