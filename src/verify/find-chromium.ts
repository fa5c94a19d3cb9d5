import { accessSync, constants, statSync } from "node:fs";

const USUAL_PATHS = [
  "/usr/bin/chromium",
  "/usr/bin/chromium-browser",
  "/usr/bin/google-chrome",
  "/usr/bin/google-chrome-stable",
  "/snap/bin/chromium",
  "/Applications/Chromium.app/Contents/MacOS/Chromium",
  "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
];

/**
 * The Chromium to drive: `chromiumPath` (CHROMIUM_PATH, passed in by the caller) when set, else the first of the
 * usual install paths that is executable; null when there is none, and verification is skipped.
 * A CHROMIUM_PATH that is set but not executable is an error rather than a silent fallback: the operator asked for it.
 */
export function findChromium(
  chromiumPath: string | undefined,
  options: { candidates?: string[]; isExecutable?: (path: string) => boolean } = {},
): string | null {
  const isExecutable = options.isExecutable ?? executable;
  if (chromiumPath !== undefined && chromiumPath.trim() !== "") {
    if (isExecutable(chromiumPath)) return chromiumPath;
    throw new Error(`CHROMIUM_PATH is ${chromiumPath}, which is not an executable file; fix the path or unset it`);
  }
  return (options.candidates ?? USUAL_PATHS).find((path) => isExecutable(path)) ?? null;
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
