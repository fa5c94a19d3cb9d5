import { Writable } from "node:stream";
import { createLogger } from "../../src/log/logger.js";

test("credentials in headers, bodies and config never reach the log", () => {
  let out = "";
  const destination = new Writable({
    write(chunk, _enc, done) {
      out += chunk.toString();
      done();
    },
  });
  const log = createLogger({ level: "info", destination });
  log.info({ req: { headers: { authorization: "Bearer brief-secret-1", "x-hub-signature-256": "sha256=abc" } }, body: { secret: "brief-secret-2" } }, "request");
  log.info({ token: "ghs_installation", privateKey: "-----BEGIN RSA", apiKey: "sk-model", options: { token: "ghp_nested" } }, "config");
  log.error({ err: { request: { headers: { authorization: "token ghs_err" } } } }, "failed");
  expect(out).toContain('"msg":"request"');
  expect(out).toContain("[redacted]");
  for (const secret of ["brief-secret-1", "brief-secret-2", "sha256=abc", "ghs_installation", "BEGIN RSA", "sk-model", "ghp_nested", "ghs_err"]) {
    expect(out).not.toContain(secret);
  }
});
