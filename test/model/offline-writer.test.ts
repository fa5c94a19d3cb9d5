import { existsSync } from "node:fs";
import { parse } from "parse5";
import { chromium } from "playwright-core";
import { normalizeCheck } from "../../src/intake/brief-schema.js";
import type { TextFile, WriteRequest, WriterAttachment } from "../../src/model/app-writer.js";
import { checkTargets, OFFLINE_LABEL, OfflineWriter } from "../../src/model/offline-writer.js";

const CHROMIUM = "/usr/bin/chromium";

const JS_CHECKS = [
  "document.querySelector('#total-sales') !== null",
  'js: document.getElementById("region-filter") instanceof HTMLElement',
  "document.querySelectorAll('div.card, .row').length >= 2",
];

const attachments: WriterAttachment[] = [
  { name: "data.csv", mediaType: "text/csv", size: 17, text: "product,sales\na,1", bytes: null },
  { name: "logo.png", mediaType: "image/png", size: 4, text: null, bytes: Buffer.from([0x89, 0x50, 0x4e, 0x47]) },
];

function create(overrides: Partial<Extract<WriteRequest, { kind: "create" }>> = {}): Extract<WriteRequest, { kind: "create" }> {
  return {
    kind: "create",
    task: "sales-summary",
    brief: 'Sum the sales of data.csv. <script>alert("x")</script> & show it.',
    checks: [...JS_CHECKS, "The total is shown in bold"].map(normalizeCheck),
    attachments,
    spentUsd: 0,
    maxCostUsd: 1,
    ...overrides,
  };
}

function file(files: TextFile[], path: string): string {
  const found = files.find((f) => f.path === path);
  if (!found) throw new Error(`${path} was not written`);
  return found.content;
}

interface HtmlNode {
  nodeName: string;
  attrs?: { name: string; value: string }[];
  childNodes?: HtmlNode[];
}

/** Every element's id in the parsed page, in document order. */
function ids(html: string): string[] {
  const found: string[] = [];
  const walk = (node: HtmlNode): void => {
    const id = node.attrs?.find((a) => a.name === "id");
    if (id) found.push(id.value);
    node.childNodes?.forEach(walk);
  };
  walk(parse(html) as unknown as HtmlNode);
  return found;
}

describe("OfflineWriter", () => {
  const writer = new OfflineWriter();

  it("writes the same files for the same request, with zero usage", async () => {
    const first = await writer.write(create());
    const second = await writer.write(create());

    expect(second).toEqual(first);
    expect(first.files.map((f) => f.path)).toEqual(["index.html", "style.css", "script.js", "README.md"]);
    expect(first.usage).toEqual({ promptTokens: 0, completionTokens: 0, costUsd: 0, calls: 0 });
    expect(writer).toMatchObject({ kind: "offline", model: "offline-template" });
  });

  it("labels the page and the README as the offline template", async () => {
    const { files, summary } = await writer.write(create());

    expect(file(files, "index.html")).toContain(OFFLINE_LABEL);
    expect(file(files, "README.md")).toContain(OFFLINE_LABEL);
    expect(summary).toContain(OFFLINE_LABEL);
    expect(file(files, "README.md")).toMatch(/## Summary[\s\S]*## Setup[\s\S]*## Usage[\s\S]*## Code explanation[\s\S]*## License\n\nMIT/);
  });

  it("escapes HTML in the brief and the checks", async () => {
    const html = file((await writer.write(create())).files, "index.html");

    expect(html).not.toContain('<script>alert("x")</script>');
    expect(html).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; show it.");
    expect(html).toContain("<code>document.querySelector(&#39;#total-sales&#39;) !== null</code>");
  });

  it("creates the elements the JavaScript checks look up, once each", async () => {
    const html = file((await writer.write(create())).files, "index.html");
    const pageIds = ids(html);

    expect(pageIds).toEqual(expect.arrayContaining(["total-sales", "region-filter"]));
    expect(new Set(pageIds).size).toBe(pageIds.length);
    expect(html).toContain('<div class="card check-target"');
    expect(html).toContain('<div class="row check-target"');
  });

  it("does not add an element for an id the template already has", async () => {
    const html = file((await writer.write(create({ checks: [normalizeCheck("document.querySelector('#brief')")] }))).files, "index.html");

    expect(ids(html).filter((id) => id === "brief")).toHaveLength(1);
  });

  it("links every attachment, shows images and previews text fetched from the repository root", async () => {
    const { files } = await writer.write(create());
    const html = file(files, "index.html");

    expect(html).toContain('<a href="data.csv">data.csv</a>');
    expect(html).toContain('<pre class="attachment-preview" data-attachment="data.csv">');
    expect(html).toContain('<img src="logo.png" alt="logo.png"');
    expect(html).toContain('<script src="script.js" defer></script>');
    expect(file(files, "script.js")).toContain("fetch(encodeURIComponent(name))");
  });

  (existsSync(CHROMIUM) ? it : it.skip)("passes its JavaScript checks in Chromium", async () => {
    const html = file((await writer.write(create())).files, "index.html");
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
    });
    try {
      const page = await browser.newPage();
      await page.setContent(html);
      const results = [];
      for (const check of create().checks) {
        if (check.kind === "js") results.push(await page.evaluate((code) => Boolean((0, eval)(code)), check.code));
      }
      expect(results).toEqual([true, true, true]);
    } finally {
      await browser.close();
    }
  });

  it("adds a Round N section with the new brief, checks and ids to index.html and README.md", async () => {
    const created = await writer.write(create());
    const revised = await writer.write({
      kind: "revise",
      task: "sales-summary",
      round: 2,
      brief: "Add a <canvas> chart.",
      checks: ["document.querySelector('#sales-chart') !== null", "document.querySelector('#total-sales')"].map(normalizeCheck),
      attachments: [],
      currentFiles: created.files,
      spentUsd: 0,
      maxCostUsd: 1,
    });

    expect(revised.files.map((f) => f.path)).toEqual(["index.html", "README.md"]);
    expect(revised.deletions).toEqual([]);
    const html = file(revised.files, "index.html");
    expect(html).toContain('<section id="round-2" class="round">\n<h2>Round 2</h2>');
    expect(html).toContain("Add a &lt;canvas&gt; chart.");
    const pageIds = ids(html);
    expect(pageIds).toContain("sales-chart");
    expect(pageIds.filter((id) => id === "total-sales")).toHaveLength(1);
    expect(new Set(pageIds).size).toBe(pageIds.length);
    const readme = file(revised.files, "README.md");
    expect(readme).toContain("## Round 2\n\n### The brief\n\n```text\nAdd a <canvas> chart.\n```");
    expect(readme).toContain("document.querySelector('#sales-chart') !== null");
  });

  it("gives the same files when the same round is revised again", async () => {
    const created = await writer.write(create());
    const round2 = (currentFiles: TextFile[]): WriteRequest => ({
      kind: "revise",
      task: "sales-summary",
      round: 2,
      brief: "Add a chart.",
      checks: [normalizeCheck("document.querySelector('#sales-chart')")],
      attachments: [],
      currentFiles,
      spentUsd: 0,
      maxCostUsd: 1,
    });
    const once = await writer.write(round2(created.files));
    const merged = created.files.map((f) => once.files.find((g) => g.path === f.path) ?? f);
    const twice = await writer.write(round2(merged));

    expect(twice.files).toEqual(once.files);
  });

  it("changes nothing on repair and says it cannot repair", async () => {
    const result = await writer.write({
      kind: "repair",
      task: "sales-summary",
      brief: "b",
      checks: [],
      currentFiles: [{ path: "index.html", content: "<p>" }],
      failures: ["check 1 failed"],
      spentUsd: 0,
      maxCostUsd: 1,
    });

    expect(result.files).toEqual([]);
    expect(result.deletions).toEqual([]);
    expect(result.summary).toMatch(/offline template cannot repair/);
  });
});

describe("checkTargets", () => {
  it("finds ids in selectors and getElementById, and classes in selectors, ignoring text checks", () => {
    const checks = [
      "document.querySelector('main #total-sales > span') !== null",
      'js: document.getElementById("chart")',
      "document.querySelectorAll(\"a[href$='.csv'], li.item\").length > 0",
      "Show #not-an-id in words",
    ].map(normalizeCheck);

    expect(checkTargets(checks)).toEqual({ ids: ["total-sales", "chart"], classes: ["item"] });
  });
});
