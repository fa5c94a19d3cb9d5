import { pino, type Logger } from "pino";

/** Paths pino blanks out: credentials in headers, bodies, config and errors never reach a log. */
export const redactPaths = [
  "req.headers.authorization",
  "req.headers.cookie",
  'req.headers["x-hub-signature"]',
  'req.headers["x-hub-signature-256"]',
  "headers.authorization",
  "request.headers.authorization",
  "err.request.headers.authorization",
  "err.response.headers.authorization",
  "err.event.signature",
  "event.signature",
  "secret",
  "*.secret",
  "body.secret",
  "token",
  "*.token",
  "privateKey",
  "*.privateKey",
  "apiKey",
  "*.apiKey",
  "BRIEF_SECRET",
  "PRIVATE_KEY",
  "GITHUB_TOKEN",
  "OPENAI_API_KEY",
  "WEBHOOK_SECRET",
];

export function createLogger(options: { level: string; destination?: NodeJS.WritableStream }): Logger {
  return pino(
    { name: "brief-bot", level: options.level, redact: { paths: redactPaths, censor: "[redacted]" } },
    options.destination ?? process.stdout,
  );
}
