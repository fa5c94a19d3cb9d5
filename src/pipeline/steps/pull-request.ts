import type { PullRequestInfo } from "../../forge/forge.js";
import { normalizeCheck } from "../../intake/brief-schema.js";
import type { Step, StepContext } from "../step.js";
import type { VerifiedApp } from "./verify-app.js";
import { revisionBranch, type RevisionBase } from "./write-app.js";
import { PermanentError } from "../errors.js";
import { IssueIndex } from "../../issues/issue-index.js";

/** Later rounds: a pull request whose body holds the brief, the checks and what changed. */
export const openPullRequest: Step = {
  name: "pull-request",
  title: "Open a pull request",
  async run(ctx: StepContext): Promise<PullRequestInfo> {
    const forge = await ctx.deps.forgeFor(ctx.brief);
    const { repo } = ctx.output<RevisionBase>("repository");
    const head = revisionBranch(ctx.brief.round);
    const existing = await forge.findPullRequest(repo, head);
    const verified = ctx.output<VerifiedApp>("verify");
    const pr =
      existing ??
      (await forge.openPullRequest(repo, {
        head,
        base: repo.defaultBranch,
        title: `Round ${ctx.brief.round}: ${ctx.brief.task}`,
        body: pullRequestBody(ctx, verified),
      }));
    ctx.result({ pr_url: pr.htmlUrl, pr_number: pr.number });
    // The merge webhook finds the round by its pull request (route briefs with REVISION_MERGE=manual too).
    new IssueIndex(ctx.deps.store).setPullRequest(repo.fullName, pr.number, ctx.brief.id);
    ctx.event("pull-request", { number: pr.number, url: pr.htmlUrl });
    return pr;
  },
};

function pullRequestBody(ctx: StepContext, verified: VerifiedApp): string {
  const checks = ctx.brief.checks.map((c) => `- ${normalizeCheck(c).text.replace(/\n/g, " ")}`).join("\n") || "- (none)";
  const results = verified.report.checks.map((c) => `- ${c.outcome === "pass" ? "✅" : c.outcome === "skipped" ? "⏭️" : "❌"} ${c.check}`).join("\n");
  return [
    `## Brief (round ${ctx.brief.round})`,
    "",
    ctx.brief.brief.split("\n").map((l) => `> ${l}`).join("\n"),
    "",
    "## Checks",
    "",
    checks,
    "",
    "## What changed",
    "",
    verified.summary,
    ...(results ? ["", "## Verification", "", results] : []),
    "",
    `<sub>brief-bot · brief ${ctx.brief.id}</sub>`,
  ].join("\n");
}

/** Route briefs with REVISION_MERGE=auto: squash-merge; the round goes on with the merge commit. */
export const mergePullRequest: Step = {
  name: "merge",
  title: "Merge the pull request",
  async run(ctx: StepContext): Promise<{ sha: string }> {
    const forge = await ctx.deps.forgeFor(ctx.brief);
    const { repo } = ctx.output<RevisionBase>("repository");
    const pr = ctx.output<PullRequestInfo>("pull-request");
    const merged = await forge.mergePullRequest(repo, pr.number, { title: `Round ${ctx.brief.round}: ${ctx.brief.task} (#${pr.number})` });
    if (!merged.sha) throw new PermanentError(`pull request #${pr.number} was merged without a merge commit`);
    const commitUrl = repo.htmlUrl.startsWith("http") ? `${repo.htmlUrl}/commit/${merged.sha}` : undefined;
    ctx.result({ commit_sha: merged.sha, ...(commitUrl ? { commit_url: commitUrl } : {}) });
    ctx.event("merged", { sha: merged.sha });
    return merged;
  },
};

/** Issue briefs: a person merged the pull request (the webhook stored the merge commit on the brief). */
export const recordMerge: Step = {
  name: "merge",
  title: "Merged by a reviewer",
  async run(ctx: StepContext): Promise<{ sha: string }> {
    const sha = ctx.brief.mergeCommitSha;
    if (!sha) throw new PermanentError("the pull request has not been merged yet");
    ctx.result({ commit_sha: sha });
    ctx.event("merged", { sha });
    return { sha };
  },
};
