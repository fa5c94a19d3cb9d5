import type { IncomingMessage, ServerResponse } from "node:http";
import { contentTypeFor } from "../../http/content-type.js";
import { isLocalRepoName, type LocalForge } from "./local-forge.js";

/**
 * Serves the local forge's "Pages": GET/HEAD `<prefix>/<owner>/<name>/<path>` from the branch Pages was
 * enabled on, with GitHub Pages' habits (index.html for folders, a redirect to add the trailing slash,
 * the site's own 404.html when it has one). Returns false for URLs outside the prefix, like Probot's handlers.
 * Errors propagate: Probot's server logs them and answers 500.
 */
export function createLocalPagesHandler(forge: LocalForge, prefix = "/pages"): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  const base = prefix.replace(/\/+$/, "");
  return async (req, res) => {
    const rawUrl = req.url ?? "/";
    const queryAt = rawUrl.search(/[?#]/);
    const pathname = queryAt === -1 ? rawUrl : rawUrl.slice(0, queryAt);
    if (!pathname.startsWith(`${base}/`)) return false;

    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD", "content-type": `text/plain; charset=utf-8` }).end("Method not allowed\n");
      return true;
    }
    // Decode segment by segment, before any normalization, so "%2e%2e" or "%2F" cannot climb out of the site.
    const segments = decodeSegments(pathname.slice(base.length + 1));
    if (segments === null) {
      res.writeHead(400, { "content-type": `text/plain; charset=utf-8` }).end("Bad path\n");
      return true;
    }
    const [owner, name, ...rest] = segments;
    if (!owner || !name || !isLocalRepoName(owner) || !isLocalRepoName(name)) return notFound(res);
    // A site never holds git's own folder; the forge would refuse the path anyway.
    if (rest.some((part) => part.toLowerCase() === ".git")) return notFound(res);
    const query = queryAt === -1 ? "" : rawUrl.slice(queryAt);
    if (rest.length === 0) {
      res.writeHead(301, { location: `${pathname}/${query}` }).end();
      return true;
    }

    const repo = { owner, name };
    const branch = await forge.pagesBranch(repo);
    if (branch === null) return notFound(res);
    const requested = rest.join("/");
    const path = requested === "" || requested.endsWith("/") ? `${requested}index.html` : requested;
    const found = await forge.readPath(repo, branch, path);
    if (found?.kind === "folder") {
      res.writeHead(301, { location: `${pathname}/${query}` }).end();
      return true;
    }
    if (found?.kind === "file") return send(req, res, 200, contentTypeFor(path), found.content);
    const custom404 = await forge.readPath(repo, branch, "404.html");
    if (custom404?.kind === "file") return send(req, res, 404, contentTypeFor("404.html"), custom404.content);
    return notFound(res);
  };
}

function send(req: IncomingMessage, res: ServerResponse, status: number, contentType: string, body: Buffer): true {
  res.writeHead(status, {
    "content-type": contentType,
    "content-length": body.length,
    // The branch can move at any moment; browsers must ask again (GitHub Pages caches for 10 minutes).
    "cache-control": "no-cache",
    "x-content-type-options": "nosniff",
  });
  res.end(req.method === "HEAD" ? undefined : body);
  return true;
}

function notFound(res: ServerResponse): true {
  res.writeHead(404, { "content-type": `text/plain; charset=utf-8` }).end("Not found\n");
  return true;
}

/** Path segments, decoded; an empty last segment marks a trailing slash. Null for traversal or malformed escapes. */
function decodeSegments(path: string): string[] | null {
  const segments: string[] = [];
  const parts = path.split("/");
  for (const [i, part] of parts.entries()) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(part);
    } catch {
      return null;
    }
    if (decoded === "." || decoded === ".." || /[\/\\\0\r\n]/.test(decoded)) return null;
    if (decoded === "" && i !== parts.length - 1) return null;
    segments.push(decoded);
  }
  return segments;
}
