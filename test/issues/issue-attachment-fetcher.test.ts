import nock from "nock";
import type { Probot } from "probot";
import { createIssueAttachmentFetcher } from "../../src/issues/issue-attachment-fetcher.js";
import type { Brief } from "../../src/intake/brief-schema.js";
import { PermanentError } from "../../src/pipeline/errors.js";
import { silentLog } from "../helpers/test-env.js";
import { createTestProbot, installationToken, INSTALLATION_ID } from "../fixtures/webhooks/github-app.js";

let probot: Probot;

beforeEach(async () => {
  probot = await createTestProbot(() => {}, silentLog);
});

afterEach(() => {
  const pending = nock.pendingMocks();
  nock.cleanAll();
  expect(pending).toEqual([]);
});

const brief = {
  id: "br_1",
  source: "issue",
  issue: { owner: "Codertocat", repo: "Hello-World", number: 1, installationId: INSTALLATION_ID },
} as Brief;

function fetcher() {
  return createIssueAttachmentFetcher({
    auth: (id) => probot.auth(id),
    fallback: async () => {
      throw new Error("issue attachments never use the fallback fetch");
    },
    maxBytes: 1000,
  });
}

test("an issue attachment is downloaded with the installation token, which is not sent on to the storage host", async () => {
  installationToken(nock("https://api.github.com"));
  const github = nock("https://github.com", { reqheaders: { authorization: "token ghs_installationtoken" } })
    .get("/user-attachments/files/1/data.csv")
    .reply(302, "", { location: "https://objects.githubusercontent.com/data.csv?signature=abc" });
  const storage = nock("https://objects.githubusercontent.com", { badheaders: ["authorization"] })
    .get("/data.csv")
    .query({ signature: "abc" })
    .reply(200, "product,sales\na,10\n", { "content-type": "text/csv; charset=utf-8" });

  const file = await fetcher()(brief, "https://github.com/user-attachments/files/1/data.csv", new AbortController().signal);

  expect(file).toEqual({ bytes: Buffer.from("product,sales\na,10\n"), mediaType: "text/csv" });
  expect(github.isDone() && storage.isDone()).toBe(true);
});

test("a URL outside GitHub's attachment hosts is refused without a request", async () => {
  await expect(fetcher()(brief, "https://example.com/data.csv", new AbortController().signal)).rejects.toBeInstanceOf(PermanentError);
});

test("a redirect that leaves GitHub is refused", async () => {
  installationToken(nock("https://api.github.com"));
  nock("https://github.com").get("/user-attachments/assets/abc").reply(302, "", { location: "https://evil.example/steal" });

  await expect(fetcher()(brief, "https://github.com/user-attachments/assets/abc", new AbortController().signal)).rejects.toThrow(/redirects outside GitHub \(evil\.example\)/);
});
