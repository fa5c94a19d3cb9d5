import nock from "nock";
import { checkConfig, mask } from "../../src/config/check-config.js";
import { parseEnv } from "../../src/config/env.js";

afterEach(() => nock.cleanAll());
describe("parseEnv", () => {
  test("names the missing variable", () => {
    expect(() => parseEnv({})).toThrow("BRIEF_SECRET is required");
  });
  test("names an invalid variable", () => {
    expect(() => parseEnv({ BRIEF_SECRET: "long-enough", BRIEF_CONCURRENCY: "zero" })).toThrow(/^BRIEF_CONCURRENCY: /);
  });
  test("refuses an app id without its key", () => {
    expect(() => parseEnv({ BRIEF_SECRET: "long-enough", APP_ID: "1" })).toThrow("APP_ID is set but PRIVATE_KEY (or PRIVATE_KEY_PATH) is missing");
  });
});

describe("check-config", () => {
  test("reaches GitHub with the token and the LLM endpoint, printing only masked secrets", async () => {
    const github = nock("https://api.github.com").get("/user").matchHeader("authorization", "token ghp_secretvalue123").reply(200, { login: "octo" });
    const llm = nock("https://llm.test").get("/v1/models").matchHeader("authorization", "Bearer sk-secretvalue456").reply(200, { data: [] });
    const { ok, lines } = await checkConfig({
      BRIEF_SECRET: "brief-secret-789",
      GITHUB_TOKEN: "ghp_secretvalue123",
      BRIEF_OWNER: "octo",
      OPENAI_API_KEY: "sk-secretvalue456",
      OPENAI_BASE_URL: "https://llm.test/v1",
      CHROMIUM_PATH: process.execPath,
    });
    const text = lines.map((l) => l.text).join("\n");
    expect(ok).toBe(true);
    expect(text).toContain("token belongs to octo");
    expect(text).toContain("LLM endpoint answered");
    expect(text).not.toMatch(/ghp_secretvalue123|sk-secretvalue456|brief-secret-789/);
    expect(github.pendingMocks()).toEqual([]);
    expect(llm.pendingMocks()).toEqual([]);
  });

  test("says what to fix when GitHub refuses the token", async () => {
    nock("https://api.github.com").get("/user").reply(401, { message: "Bad credentials" });
    const { ok, lines } = await checkConfig({ BRIEF_SECRET: "brief-secret-789", GITHUB_TOKEN: "ghp_wrong_token_x", CHROMIUM_PATH: process.execPath });
    expect(ok).toBe(false);
    expect(lines.find((l) => l.ok === false)?.text).toBe("GitHub answered 401 for GITHUB_TOKEN: create a token with the repo and workflow scopes");
  });

  test("masks short and long values", () => {
    expect(mask(undefined)).toBe("(not set)");
    expect(mask("short")).toBe("****");
    expect(mask("abcdefghijkl")).toBe("abcd…kl (12 chars)");
  });
});
