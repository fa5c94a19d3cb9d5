import { Ajv } from "ajv";
import {
  MAX_FILE_BYTES,
  MAX_FILES,
  parseWriterOutput,
  writerOutputJsonSchema,
  WriterOutputError,
} from "../../src/model/writer-output.js";

const app = (files: { path: string; content: string }[], extra: Record<string, unknown> = {}): string =>
  JSON.stringify({ files, deletions: [], summary: "An app.", ...extra });

const INDEX = { path: "index.html", content: "<!doctype html>" };

function problem(text: string): string {
  try {
    parseWriterOutput(text);
  } catch (error) {
    expect(error).toBeInstanceOf(WriterOutputError);
    return (error as Error).message;
  }
  throw new Error("expected the answer to be rejected");
}

describe("parseWriterOutput", () => {
  it("parses a strict JSON answer", () => {
    expect(parseWriterOutput(app([INDEX], { deletions: ["old.js"] }))).toEqual({
      files: [INDEX],
      deletions: ["old.js"],
      summary: "An app.",
      notes: [],
    });
  });

  it("finds JSON inside a ```json fence", () => {
    expect(parseWriterOutput(`Here it is:\n\`\`\`json\n${app([INDEX])}\n\`\`\`\nDone.`).files).toEqual([INDEX]);
  });

  it("finds the first balanced object in prose, braces inside strings included", () => {
    const file = { path: "app.js", content: "function f() { return '}'; }" };
    expect(parseWriterOutput(`Sure! ${app([INDEX, file])} Hope this helps {really}.`).files).toEqual([INDEX, file]);
  });

  it("defaults a missing summary and deletions", () => {
    expect(parseWriterOutput(JSON.stringify({ files: [INDEX] }))).toMatchObject({ deletions: [], summary: "Wrote 1 file(s)." });
  });

  it("says so when the answer is not JSON at all", () => {
    expect(problem("I cannot do that")).toMatch(/^the answer is not valid JSON \(/);
    expect(problem("  ")).toBe("the answer is empty");
  });

  it("lists every zod issue with its location", () => {
    expect(problem(JSON.stringify({ files: [{ path: "a.html" }, { content: "x" }] }))).toBe(
      "the answer does not match the expected shape: files[0].content: Invalid input: expected string, received undefined; files[1].path: Invalid input: expected string, received undefined",
    );
  });

  it.each([
    ["/etc/passwd", "path must be relative to the repository root"],
    ["C:/x.html", "path must be relative to the repository root"],
    ["js\\app.js", "path must use '/' and contain no backslashes"],
    ["../x", "path must not contain '.' or '..' segments"],
    ["a/../../b", "path must not contain '.' or '..' segments"],
    [".git/config", "path must not be inside .git/"],
    ["sub/.GIT/hooks/pre-commit", "path must not be inside .git/"],
    ["a//b.js", "path must not contain empty segments"],
    ["dir/", "path must not contain empty segments"],
    ["", "path is empty"],
  ])("rejects the unsafe path %j", (path, message) => {
    expect(problem(app([INDEX, { path, content: "x" }]))).toContain(`files[1].path: ${message}`);
  });

  it("rejects an unsafe path among the deletions", () => {
    expect(problem(app([INDEX], { deletions: ["../../home"] }))).toContain("deletions[0]: path must not contain '.' or '..' segments");
  });

  it("accepts ./ before a path as the same file", () => {
    expect(parseWriterOutput(app([{ path: "./index.html", content: "x" }])).files).toEqual([{ path: "index.html", content: "x" }]);
  });

  it("drops LICENSE files in any case and with any extension, with a note", () => {
    const result = parseWriterOutput(
      app([INDEX, { path: "LICENSE", content: "x" }, { path: "license.md", content: "x" }, { path: "docs/Licence.txt", content: "x" }], {
        deletions: ["LICENCE.txt"],
      }),
    );

    expect(result.files).toEqual([INDEX]);
    expect(result.deletions).toEqual([]);
    expect(result.notes).toEqual([
      "dropped LICENSE: the app writes LICENSE itself",
      "dropped license.md: the app writes LICENSE itself",
      "dropped docs/Licence.txt: the app writes LICENSE itself",
      "ignored the deletion of LICENCE.txt: LICENSE is the app's",
    ]);
  });

  it("rejects duplicate paths, compared without case", () => {
    expect(problem(app([INDEX, { path: "Index.html", content: "y" }]))).toContain("files[1].path: duplicate path Index.html (also files[0])");
  });

  it("rejects a path both written and deleted", () => {
    expect(problem(app([INDEX], { deletions: ["index.html"] }))).toContain("deletions[0]: index.html is both written and deleted");
  });

  it(`rejects more than ${MAX_FILES} files`, () => {
    const files = Array.from({ length: MAX_FILES + 1 }, (_, i) => ({ path: `f${i}.js`, content: "" }));
    expect(problem(app(files))).toContain(`files: at most ${MAX_FILES} files`);
  });

  it("rejects a file over 512 KB, counted in UTF-8 bytes", () => {
    const content = "é".repeat(MAX_FILE_BYTES / 2 + 1);
    expect(problem(app([{ path: "index.html", content }]))).toContain("files[0].content: file is larger than 512 KB");
  });

  it("rejects files over 2 MB in all", () => {
    const files = Array.from({ length: 5 }, (_, i) => ({ path: `f${i}.js`, content: "x".repeat(500 * 1024) }));
    expect(problem(app(files))).toMatch(/files: files total 2560000 bytes, more than 2 MB/);
  });
});

describe("writerOutputJsonSchema", () => {
  it("fits strict structured output: every property required, no additional properties", () => {
    const objects: Record<string, unknown>[] = [];
    const walk = (node: unknown): void => {
      if (typeof node !== "object" || node === null) return;
      const record = node as Record<string, unknown>;
      if (record.type === "object") objects.push(record);
      Object.values(record).forEach(walk);
    };
    walk(writerOutputJsonSchema);

    expect(objects).toHaveLength(2);
    for (const object of objects) {
      expect(object.additionalProperties).toBe(false);
      expect([...(object.required as string[])].sort()).toEqual(Object.keys(object.properties as object).sort());
    }
  });

  it("accepts what the parser accepts and refuses extra fields", () => {
    const validate = new Ajv({ strict: true }).compile(writerOutputJsonSchema);

    expect(validate(JSON.parse(app([INDEX])))).toBe(true);
    expect(validate({ ...JSON.parse(app([INDEX])), extra: 1 })).toBe(false);
  });
});
