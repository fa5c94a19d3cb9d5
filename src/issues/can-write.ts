import type { ProbotOctokit } from "probot";

const WRITERS = new Set(["admin", "maintain", "write"]);

/**
 * Whether a person may start builds from a repository: write, maintain or admin on it, as GitHub's collaborator
 * permission API says. Labels and `author_association` prove nothing (triage can label; members may only read).
 */
export async function canWrite(octokit: ProbotOctokit, repo: { owner: string; repo: string }, username: string): Promise<boolean> {
  try {
    const { data } = await octokit.rest.repos.getCollaboratorPermissionLevel({ owner: repo.owner, repo: repo.repo, username });
    return WRITERS.has(data.permission) || WRITERS.has(data.role_name ?? "");
  } catch (error) {
    // 404: not a collaborator (or no such user).
    if ((error as { status?: number }).status === 404) return false;
    throw error;
  }
}
