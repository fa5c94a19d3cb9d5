import { describe, expect, it } from "@jest/globals";
import { findChromium } from "../../src/verify/find-chromium.js";

const only = (...paths: string[]) => (path: string) => paths.includes(path);

describe("findChromium", () => {
  it("uses CHROMIUM_PATH when it names an executable", () => {
    expect(findChromium("/opt/chrome/chrome", { isExecutable: only("/opt/chrome/chrome", "/usr/bin/chromium") })).toBe("/opt/chrome/chrome");
  });

  it("refuses a CHROMIUM_PATH that is not executable instead of quietly using another browser", () => {
    expect(() => findChromium("/opt/nothing", { isExecutable: only("/usr/bin/chromium") })).toThrow(
      "CHROMIUM_PATH is /opt/nothing, which is not an executable file; fix the path or unset it",
    );
  });

  it("falls back to the first usual install path that exists", () => {
    expect(findChromium(undefined, { isExecutable: only("/usr/bin/google-chrome-stable", "/usr/bin/chromium-browser") })).toBe(
      "/usr/bin/chromium-browser",
    );
    expect(findChromium("", { isExecutable: only("/Applications/Google Chrome.app/Contents/MacOS/Google Chrome") })).toBe(
      "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
    );
  });

  it("returns null when no browser is installed", () => {
    expect(findChromium(undefined, { isExecutable: () => false })).toBeNull();
  });

  it("checks the real file system by default", () => {
    expect(findChromium(undefined, { candidates: ["/nonexistent/chromium", "/usr/bin/chromium"] })).toBe("/usr/bin/chromium");
    expect(findChromium(undefined, { candidates: ["/nonexistent/chromium", "/usr/bin"] })).toBeNull();
  });
});
