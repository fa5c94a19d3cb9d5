import { describe, expect, it } from "@jest/globals";
import { staticChecks } from "../../src/verify/static-checks.js";
import { loadApp } from "../fixtures/apps/load-app.js";

const page = (body: string, head = "") => `<!DOCTYPE html><html><head><title>t</title>${head}</head><body>${body}</body></html>`;

describe("staticChecks", () => {
  it("finds nothing wrong with the correct fixture app", () => {
    expect(staticChecks(loadApp("correct"))).toEqual([]);
  });

  it("reports a referenced local file that is not in the tree, naming the page and the line", () => {
    const errors = staticChecks([{ path: "index.html", content: page('<img src="img/logo.png">\n<script src="app.js"></script>') }]);
    expect(errors).toEqual([
      'index.html:1: <img src="img/logo.png"> names img/logo.png, which is not in the tree',
      'index.html:2: <script src="app.js"> names app.js, which is not in the tree',
    ]);
  });

  it("resolves references relative to the page's folder, from the root for '/', and without query or hash", () => {
    const files = [
      { path: "index.html", content: page('<a href="docs/">docs</a><a href="/docs/guide.html#intro">guide</a>') },
      { path: "docs/index.html", content: page('<link rel="stylesheet" href="../style.css?v=2"><img src="pics/a%20b.png"><a href="/missing.html">x</a>') },
      { path: "docs/guide.html", content: page("") },
      { path: "docs/pics/a b.png", content: Buffer.from([0x89, 0x50]) },
      { path: "style.css", content: "" },
    ];
    expect(staticChecks(files)).toEqual(['docs/index.html:1: <a href="/missing.html"> names missing.html, which is not in the tree']);
  });

  it("ignores other origins, schemes, anchors and placeholders", () => {
    const body = [
      '<script src="https://cdn.example.com/lib.js"></script>',
      '<link rel="preconnect" href="//fonts.example.com">',
      '<img src="data:image/png;base64,AAAA">',
      '<a href="mailto:a@example.com">m</a><a href="#top">t</a><a href="tel:123">p</a><a href="javascript:void(0)">j</a>',
      '<template><img src="${url}"></template><img src="{{ photo }}">',
    ].join("\n");
    expect(staticChecks([{ path: "index.html", content: page(body) }])).toEqual([]);
  });

  it("reports a reference that climbs out of the site", () => {
    expect(staticChecks([{ path: "index.html", content: page('<script src="../shared/app.js"></script>') }])).toEqual([
      'index.html:1: <script src="../shared/app.js"> points outside the site',
    ]);
  });

  it("reports a site without index.html", () => {
    expect(staticChecks([{ path: "home.html", content: page("") }])).toEqual([
      "index.html: missing; GitHub Pages serves index.html at the site's root",
    ]);
  });

  it("reports a JavaScript file that does not parse, with its line and column", () => {
    const errors = staticChecks([
      { path: "index.html", content: page('<script src="app.js"></script>') },
      { path: "app.js", content: "const total = 1;\nfunction render( {\n  return total;\n}\n" },
    ]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^app\.js:3:3: JavaScript does not parse: /);
  });

  it("accepts module files and scripts written for sloppy mode", () => {
    const files = [
      { path: "index.html", content: page('<script type="module" src="main.js"></script><script src="old.js"></script>') },
      { path: "main.js", content: 'import { x } from "./lib.mjs";\nconst data = await fetch("data.json");\nexport default x;\n' },
      { path: "lib.mjs", content: "export const x = 1;\n" },
      { path: "old.js", content: "var x = 010;\nwith (Math) { x = max(x, 1); }\n" },
    ];
    expect(staticChecks(files)).toEqual([]);
  });

  it("reports an inline script that does not parse at its place in the HTML file", () => {
    const html = '<!DOCTYPE html>\n<html><head><title>t</title></head><body>\n<script>\nlet a = 1;\nlet b = ;\n</script>\n</body></html>';
    const errors = staticChecks([{ path: "index.html", content: html }]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^index\.html:5:9: inline script does not parse: Unexpected token/);
  });

  it("checks JSON script blocks as JSON and leaves templates and other script types alone", () => {
    const body = [
      '<script type="application/json">{"a": 1,}</script>',
      '<script type="text/template"><div>{{ name }</div></script>',
      '<script type="text/babel">const App = () => <div />;</script>',
    ].join("\n");
    const errors = staticChecks([{ path: "index.html", content: page(body) }]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^index\.html:1: inline <script type="application\/json"> is not valid JSON: /);
  });

  it("reports a JSON file that does not parse", () => {
    const errors = staticChecks([
      { path: "index.html", content: page("") },
      { path: "data/sales.json", content: '[{"region": "North", "sales": 10}' },
    ]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^data\/sales\.json: JSON does not parse: /);
  });

  it("reports an HTML file that is cut off", () => {
    const errors = staticChecks([{ path: "index.html", content: "<!DOCTYPE html><html><head><title>t</title></head><body><main><div class=" }]);
    expect(errors).toEqual([expect.stringMatching(/^index\.html:1:\d+: the file ends inside a tag; it looks cut off \(eof-in-tag\)$/)]);
  });

  it("reports a self-closed script tag, which swallows the rest of the page", () => {
    const errors = staticChecks([
      { path: "index.html", content: page('<script src="app.js" />\n<p>Hello</p>') },
      { path: "app.js", content: "1;" },
    ]);
    expect(errors.some((e) => e.includes("(non-void-html-element-start-tag-with-trailing-solidus)"))).toBe(true);
  });

  it("does not report HTML nits the browser renders as written, such as a missing doctype or a stray end tag", () => {
    const html = "<html><head><title>t</title></head><body><p>a &copy b</div></p><br/></body></html>";
    expect(staticChecks([{ path: "index.html", content: html }])).toEqual([]);
  });
});
