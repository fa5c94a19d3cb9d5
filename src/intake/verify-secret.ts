import { createHash, timingSafeEqual } from "node:crypto";

/** Constant-time comparison: both sides are digested first so their lengths never leak. */
export function verifySecret(given: unknown, expected: string): boolean {
  if (typeof given !== "string") return false;
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}
