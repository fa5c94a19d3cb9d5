import type { Context } from "probot";
import type { Brief } from "../intake/brief-schema.js";
import type { HandlerDeps } from "./handler-deps.js";
import { issueKey, type IssueRef } from "./issue-index.js";
import { canWrite } from "./can-write.js";
import { commentOnce, declineOnce } from "./decline-once.js";
import { parseIssueBrief, slugForTitle } from "./parse-issue-brief.js";
import { briefOptions, loadRepoConfig } from "./repo-config.js";
import { rerunBrief } from "./rerun-brief.js";

/**
 * `issues.opened` with the brief label, or `issues.labeled` with it: authorize the sender, read the brief and the
 * repository's configuration, store round 1, enqueue it and react 👀. The build happens in the job.
 */
export async function startIssueBrief(context: Context<"issues.opened" | "issues.labeled">, deps: HandlerDeps): Promise<void> {
  const { payload, octokit } = context;
  if (payload.sender.type === "Bot" || payload.issue.state === "closed") return;
  const added = "label" in payload && payload.label ? [payload.label.name] : (payload.issue.labels ?? []).map((l) => l.name);
  if (added.length === 0) return;

  const config = await loadRepoConfig((file) => context.config(file));
  const label = (config.ok ? config.config.label : config.label).toLowerCase();
  if (!added.some((name) => name.toLowerCase() === label)) return;

  const issue: IssueRef = { owner: payload.repository.owner.login, repo: payload.repository.name, number: payload.issue.number };
  const log = deps.log.child({ issue: `${issue.owner}/${issue.repo}#${issue.number}` });
  if (!(await canWrite(octokit, issue, payload.sender.login))) {
    log.info({ sender: payload.sender.login }, "brief from someone without write access: declined");
    return declineOnce(octokit, deps.index, issue, payload.sender.login);
  }
  if (!config.ok) return commentOnce(octokit, deps.index, issue, `brief-bot did not start: ${config.problem}. Fix the file, then add the label again.`);

  // The issue's round 1 exists (the label added twice, or again after a cancel): run it again if it stopped.
  const existing = deps.index.briefsOf(issue).find((b) => b.round === 1);
  if (existing) {
    const state = deps.store.getJob(existing.id)?.state;
    if (state === "cancelled" || state === "failed") await rerunBrief(deps.store, deps.queue, existing.id);
    return react(context, issue);
  }

  const parsed = parseIssueBrief(payload.issue.body);
  if (!parsed.ok) {
    return commentOnce(octokit, deps.index, issue, `brief-bot could not read this brief:\n\n${parsed.problems.map((p) => `- ${p}`).join("\n")}\n\nEdit the issue, then add the label again.`);
  }
  const task = chooseTask(deps, issue, parsed.brief.task, payload.issue.title);
  if (!task.ok) return commentOnce(octokit, deps.index, issue, `brief-bot did not start: ${task.problem}`);

  const input: Omit<Brief, "id" | "createdAt"> = {
    source: "issue",
    email: null,
    task: task.task,
    round: 1,
    nonce: `issue-${payload.repository.id}-${issue.number}`,
    brief: parsed.brief.brief,
    checks: parsed.brief.checks,
    evaluationUrl: parsed.brief.evaluationUrl,
    attachments: parsed.brief.attachments,
    owner: issue.owner,
    issue: { ...issue, installationId: payload.installation?.id ?? null },
    options: briefOptions(config.config),
    mergeCommitSha: null,
  };
  const { brief, created } = deps.store.createBrief(input);
  deps.index.addBrief(issue, brief);
  if (created) await deps.queue.enqueue(brief.id);
  log.info({ briefId: brief.id, task: brief.task, created }, "issue brief accepted");
  await react(context, issue);
}

/** The form's task, else a slug of the title; a task names a repository, so two issues never share one. */
function chooseTask(deps: HandlerDeps, issue: IssueRef, given: string | null, title: string): { ok: true; task: string } | { ok: false; problem: string } {
  const mine = (task: string) => {
    const owner = deps.index.issueOfTask(task);
    return owner === null ? deps.store.briefsForTask(task).length === 0 : owner === issueKey(issue);
  };
  if (given) return mine(given) ? { ok: true, task: given } : { ok: false, problem: `the task \`${given}\` belongs to another issue; choose another Task name, then add the label again.` };
  const slug = slugForTitle(title, `issue-${issue.number}`);
  for (const task of [slug, `${slug}-${issue.number}`]) if (mine(task)) return { ok: true, task };
  return { ok: false, problem: `the task \`${slug}\` belongs to another issue; give this one a Task name, then add the label again.` };
}

async function react(context: Context<"issues.opened" | "issues.labeled">, issue: IssueRef): Promise<void> {
  await context.octokit.rest.reactions.createForIssue({ owner: issue.owner, repo: issue.repo, issue_number: issue.number, content: "eyes" });
}
