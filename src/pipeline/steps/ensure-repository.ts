import type { RepoInfo } from "../../forge/forge.js";
import { repoDescription, repoNameForTask } from "../../forge/github/repo-name.js";
import { PermanentError } from "../errors.js";
import { ownerFor } from "../round-files.js";
import type { Step, StepContext } from "../step.js";

/**
 * Round 1: creates the task's repository, or reuses the one this app created for the same task (the course
 * evaluator re-sends round 1). Any other repository of that name is someone's work: never touched.
 */
export const ensureRepository: Step = {
  name: "repository",
  title: "Create the repository",
  async run(ctx: StepContext): Promise<RepoInfo> {
    const owner = ownerFor(ctx);
    const name = repoNameForTask(ctx.brief.task);
    const fullName = `${owner}/${name}`;
    const forge = await ctx.deps.forgeFor(ctx.brief);
    const owned = ctx.deps.store.repositoryOwner(fullName);
    if (owned && owned.task !== ctx.brief.task) {
      throw new PermanentError(`repository ${fullName} belongs to task ${owned.task}`, "use a distinct task name");
    }
    let repo = await forge.getRepository({ owner, name });
    if (repo && !owned) {
      throw new PermanentError(`repository ${fullName} already exists and was not created by brief-bot`, "rename the task or remove that repository");
    }
    if (repo) {
      ctx.event("repository.reused", { repo: repo.fullName });
    } else {
      // Claimed before it is created: a crash in between leaves a claim, and the retry creates it.
      ctx.deps.store.claimRepository(fullName, ctx.brief.task, ctx.brief.id);
      repo = await forge.createRepository(
        { owner, name },
        { description: repoDescription(ctx.brief.brief), private: (ctx.brief.options?.visibility ?? ctx.deps.settings.visibility) === "private" },
      );
      ctx.event("repository.created", { repo: repo.fullName });
    }
    ctx.result({ repo_url: repo.htmlUrl, repo_full_name: repo.fullName });
    return repo;
  },
};
