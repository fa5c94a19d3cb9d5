import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import nock from "nock";
import { expectValidGitHubRequests, githubApi, OPENAPI_FILE, validateGitHubRequest } from "./openapi.js";

afterEach(() => nock.cleanAll());
describe("validateGitHubRequest", () => {
  it("finds GitHub's OpenAPI subset next to the repository", () => {
    expect(existsSync(fileURLToPath(OPENAPI_FILE))).toBe(true);
  });

  it("accepts a repository creation body that fits the schema", () => {
    expect(validateGitHubRequest("POST", "/orgs/acme/repos", { name: "app", private: false, auto_init: true })).toEqual([]);
  });

  it("reports a field of the wrong type", () => {
    const errors = validateGitHubRequest("POST", "/orgs/acme/repos", { name: "app", private: "yes" });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^POST \/orgs\/\{org\}\/repos: body\/private must be boolean/);
  });

  it("reports a misspelt field that GitHub would silently ignore", () => {
    expect(validateGitHubRequest("POST", "/user/repos", { name: "app", auto_inti: true })).toEqual([
      expect.stringMatching(/must NOT have additional properties .*auto_inti/),
    ]);
  });

  it("reports a value outside an enum in a nested array item", () => {
    const errors = validateGitHubRequest("POST", "/repos/acme/app/git/trees", {
      tree: [{ path: "a.txt", mode: "644", type: "blob", content: "a" }],
    });
    expect(errors).toEqual([expect.stringContaining("body/tree/0/mode must be equal to one of the allowed values")]);
  });

  it("accepts a null sha, which deletes a path from a tree", () => {
    expect(
      validateGitHubRequest("POST", "/repos/acme/app/git/trees", {
        base_tree: "abc",
        tree: [{ path: "old.txt", mode: "100644", type: "blob", sha: null }],
      }),
    ).toEqual([]);
  });

  it("reports a Pages body with neither source nor build_type", () => {
    expect(validateGitHubRequest("POST", "/repos/acme/app/pages", {})).not.toEqual([]);
  });

  it("follows references into the description's components", () => {
    expect(validateGitHubRequest("POST", "/app/installations/1/access_tokens", { permissions: { contents: "write" } })).toEqual([]);
    expect(validateGitHubRequest("POST", "/app/installations/1/access_tokens", { permissions: { contents: "all" } })).not.toEqual(
      [],
    );
  });

  it("reports an operation that is not in the subset", () => {
    expect(validateGitHubRequest("POST", "/repos/acme/app/forks", {})).toEqual([
      "POST /repos/acme/app/forks: no such operation in the GitHub OpenAPI subset",
    ]);
  });

  it("reports a missing body where the operation requires one", () => {
    expect(validateGitHubRequest("POST", "/repos/acme/app/git/commits", undefined)).toEqual([
      "POST /repos/{owner}/{repo}/git/commits: the request body is required",
    ]);
  });

  it("matches GitHub Enterprise Server URLs and ignores the query string", () => {
    expect(validateGitHubRequest("GET", "https://ghe.example.com/api/v3/repos/acme/app/pulls?head=acme:x", undefined)).toEqual([]);
  });

  it("prefers the more specific of two matching paths", () => {
    expect(validateGitHubRequest("GET", "/repos/acme/app/pages/builds/latest", undefined)).toEqual([]);
    expect(validateGitHubRequest("PUT", "/repos/acme/app/pulls/3/merge", { merge_method: "fast" })).toEqual([
      expect.stringContaining("PUT /repos/{owner}/{repo}/pulls/{pull_number}/merge: body/merge_method"),
    ]);
  });
});

describe("githubApi", () => {
  it("records every request and reports the bodies that break the schema", async () => {
    const api = githubApi();
    api.scope.post("/orgs/acme/repos").reply(201, {}).get("/repos/acme/app").reply(200, {});

    await fetch("https://api.github.com/orgs/acme/repos", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "app", private: "yes" }),
    });
    await fetch("https://api.github.com/repos/acme/app");

    expect(api.requests.map((r) => `${r.method} ${r.path}`)).toEqual(["POST /orgs/acme/repos", "GET /repos/acme/app"]);
    expect(api.writes()).toHaveLength(1);
    expect(api.bodiesOf("POST", "/orgs/acme/repos")).toEqual([{ name: "app", private: "yes" }]);
    expect(api.validationErrors()).toEqual([expect.stringContaining("body/private must be boolean")]);
    expect(() => expectValidGitHubRequests(api)).toThrow(/do not fit GitHub's OpenAPI description/);
    expect(api.scope.pendingMocks()).toEqual([]);
  });

  it("passes when every recorded request fits", async () => {
    const api = githubApi("https://ghe.example.com");
    api.scope.post("/api/v3/repos/acme/app/git/refs").reply(201, {});

    await fetch("https://ghe.example.com/api/v3/repos/acme/app/git/refs", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ ref: "refs/heads/round-2", sha: "abc" }),
    });

    expect(api.requests).toHaveLength(1);
    expect(() => expectValidGitHubRequests(api)).not.toThrow();
    expect(api.scope.pendingMocks()).toEqual([]);
  });
});
