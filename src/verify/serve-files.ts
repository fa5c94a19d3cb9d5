import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { posix } from "node:path";
import type { ForgeFile } from "../forge/forge.js";
import { normalizePath } from "./static-checks.js";
import { contentTypeFor } from "../http/content-type.js";

export interface ServedFiles {
  /** The site's root, ending in "/" (http://127.0.0.1:<port>/). */
  url: string;
  close(): Promise<void>;
}


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
      "content-type": contentTypeFor(found.path),
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
