import type { CommitResult, RepoInfo } from "../../forge/forge.js";
import { roundTree } from "../round-files.js";
import type { Step, StepContext } from "../step.js";
import type { VerifiedApp } from "./verify-app.js";
import { revisionBranch, type RevisionBase } from "./write-app.js";

/** The round's files in one commit: round 1 on the default branch, later rounds on a branch for the round. */
export const commitApp: Step = {
  name: "commit",
  title: "Commit",
  async run(ctx: StepContext): Promise<CommitResult & { branch: string }> {
    const forge = await ctx.deps.forgeFor(ctx.brief);
    const verified = ctx.output<VerifiedApp>("verify");
    const { files, deletions } = await roundTree(ctx, verified);
    const message = `${ctx.brief.round === 1 ? "Build" : "Revise"} ${ctx.brief.task}, round ${ctx.brief.round}\n\n${verified.summary}\n\nBrief: ${ctx.brief.id}`;
    let repo: RepoInfo;
    let branch: string;
    let parentSha: string | null;
    if (ctx.brief.round === 1) {
      repo = ctx.output<RepoInfo>("repository");
      branch = repo.defaultBranch;
      parentSha = await forge.getBranchHead(repo, branch);
    } else {
      const base = ctx.output<RevisionBase>("repository");
      repo = base.repo;
      branch = revisionBranch(ctx.brief.round);
      parentSha = base.baseSha;
    }
    const commit = await forge.commitFiles(repo, { branch, parentSha, files, deletions, replaceTree: ctx.brief.round === 1, message });
    ctx.event("committed", { sha: commit.sha, branch, created: commit.created });
    if (ctx.brief.round === 1) ctx.result({ commit_sha: commit.sha, commit_url: commit.htmlUrl });
    return { ...commit, branch };
  },
};
