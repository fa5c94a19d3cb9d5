import type { Forge, ForgeFile, RepoRef } from "../forge/forge.js";

const MAX_ENTRIES = 16;
const cache = new Map<string, Promise<ForgeFile[]>>();

/**
 * The files of a commit, read once per process: a revision reads its base commit to write the change, to verify
 * each attempt and to commit, and on GitHub each read is a request per file. A commit never changes, so its sha
 * is a safe key.
 */
export function readCommitFiles(forge: Forge, repo: RepoRef, sha: string): Promise<ForgeFile[]> {
  const key = `${forge.kind}:${repo.owner}/${repo.name}@${sha}`.toLowerCase();
  let files = cache.get(key);
  if (!files) {
    files = forge.readFiles(repo, sha);
    files.catch(() => cache.delete(key));
    cache.set(key, files);
    if (cache.size > MAX_ENTRIES) cache.delete(cache.keys().next().value!);
  }
  return files;
}
