import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { posix } from "node:path";
import type { ForgeFile } from "../forge/forge.js";
import { normalizePath } from "./static-checks.js";

export interface ServedFiles {
  /** The site's root, ending in "/" (http://127.0.0.1:<port>/). */
  url: string;
  close(): Promise<void>;
}

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".htm": "text/html; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".webmanifest": "application/manifest+json; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
  ".md": "text/markdown; charset=utf-8",
  ".csv": "text/csv; charset=utf-8",
  ".xml": "application/xml; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".avif": "image/avif",
  ".ico": "image/x-icon",
  ".wasm": "application/wasm",
  ".woff": "font/woff",
  ".woff2": "font/woff2",
  ".ttf": "font/ttf",
  ".otf": "font/otf",
  ".mp3": "audio/mpeg",
  ".wav": "audio/wav",
  ".ogg": "audio/ogg",
  ".mp4": "video/mp4",
  ".webm": "video/webm",
  ".pdf": "application/pdf",
};

/**
 * Serves a tree on a random loopback port the way GitHub Pages would: the file itself, `index.html` for a folder,
 * `x.html` for `/x`, 404 otherwise. Nothing is read from disk, so what is checked is exactly what gets committed.
 */
export async function serveFiles(files: ForgeFile[]): Promise<ServedFiles> {
  const tree = new Map(files.map((f) => [normalizePath(f.path), f.content]));
  const server = createServer((req, res) => {
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD" }).end();
      return;
    }
    const found = lookup(tree, new URL(req.url ?? "/", "http://127.0.0.1").pathname);
    if (found.kind === "redirect") {
      res.writeHead(301, { location: found.location }).end();
      return;
    }
    if (found.kind === "missing") {
      res.writeHead(404, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" }).end("not found");
      return;
    }
    const body = typeof found.content === "string" ? Buffer.from(found.content, "utf8") : found.content;
    res.writeHead(200, {
      "content-type": CONTENT_TYPES[posix.extname(found.path).toLowerCase()] ?? "application/octet-stream",
      "content-length": body.length,
      "cache-control": "no-store",
    });
    res.end(req.method === "HEAD" ? undefined : body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // Keep-alive sockets from the browser would hold close() open.
        server.closeAllConnections();
      }),
  };
}

type Lookup =
  | { kind: "file"; path: string; content: string | Buffer }
  | { kind: "redirect"; location: string }
  | { kind: "missing" };

function lookup(tree: Map<string, string | Buffer>, pathname: string): Lookup {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return { kind: "missing" };
  }
  const path = posix.normalize(decoded).replace(/^\/+/, "");
  const file = (p: string): Lookup | null => {
    const content = tree.get(p);
    return content === undefined ? null : { kind: "file", path: p, content };
  };
  if (path === "" || path.endsWith("/")) return file(`${path}index.html`) ?? { kind: "missing" };
  // A folder without its slash: redirect, so relative references inside its index.html resolve as on Pages.
  if (tree.has(`${path}/index.html`) && !tree.has(path)) return { kind: "redirect", location: `/${path}/` };
  return file(path) ?? file(`${path}.html`) ?? { kind: "missing" };
}
