import { afterAll, afterEach, beforeAll, describe, expect, it } from "@jest/globals";
import nock from "nock";
import { serveFiles, type ServedFiles } from "../../src/verify/serve-files.js";

describe("serveFiles", () => {
  let served: ServedFiles;

  beforeAll(async () => {
    served = await serveFiles([
      { path: "index.html", content: "<h1>home</h1>" },
      { path: "./js/app.js", content: "console.log('é');" },
      { path: "docs/index.html", content: "<h1>docs</h1>" },
      { path: "about.html", content: "<h1>about</h1>" },
      { path: "img/logo one.png", content: Buffer.from([0x89, 0x50, 0x4e, 0x47]) },
    ]);
  });

  afterEach(() => expect(nock.pendingMocks()).toEqual([]));

  afterAll(async () => {
    await served.close();
  });

  const get = (path: string) => fetch(new URL(path, served.url), { redirect: "manual" });

  it("listens on a loopback address", () => {
    expect(served.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
  });

  it("serves index.html at the root with an HTML content type", async () => {
    const response = await get("/");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(await response.text()).toBe("<h1>home</h1>");
  });

  it("serves files by path with a content type from the extension, bytes unchanged", async () => {
    const script = await get("/js/app.js?v=3");
    expect(script.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(await script.text()).toBe("console.log('é');");
    const image = await get("/img/logo%20one.png");
    expect(image.headers.get("content-type")).toBe("image/png");
    expect(Buffer.from(await image.arrayBuffer())).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47]));
  });

  it("serves a folder's index.html and redirects a folder named without its slash, as GitHub Pages does", async () => {
    expect(await (await get("/docs/")).text()).toBe("<h1>docs</h1>");
    const redirect = await get("/docs");
    expect(redirect.status).toBe(301);
    expect(redirect.headers.get("location")).toBe("/docs/");
  });

  it("serves x.html for /x, as GitHub Pages does", async () => {
    expect(await (await get("/about")).text()).toBe("<h1>about</h1>");
  });

  it("answers 404 for a path that is not in the tree, including one that climbs out of it", async () => {
    expect((await get("/missing.js")).status).toBe(404);
    expect((await get("/img/")).status).toBe(404);
    expect((await get("/%2e%2e/etc/passwd")).status).toBe(404);
  });

  it("stops listening when closed", async () => {
    const other = await serveFiles([{ path: "index.html", content: "x" }]);
    await other.close();
    await expect(fetch(other.url)).rejects.toThrow();
  });
});
