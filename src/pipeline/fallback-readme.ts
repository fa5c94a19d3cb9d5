import type { Brief } from "../intake/brief-schema.js";
import { normalizeCheck } from "../intake/brief-schema.js";

/** A plain README built from the brief, for when the model wrote none. */
export function fallbackReadme(brief: Brief, summary: string): string {
  const checks = brief.checks.map((c) => `- ${normalizeCheck(c).text.replace(/\n/g, " ")}`).join("\n");
  return `# ${brief.task}

${summary || "A static web app generated from a brief."}

## The brief

${brief.brief}

## Acceptance checks

${checks || "- (none given)"}

## Setup

No build step: this is a static site. Open \`index.html\` in a browser, or serve the folder
(\`npx serve .\`). It is published with GitHub Pages from the default branch.

## Usage

Open the live page and use the app as the brief describes.

## Code

\`index.html\` is the entry point; styles and scripts sit beside it. Attachments from the brief are
committed at the repository root under their own names.

## License

MIT; see [LICENSE](LICENSE).
`;
}
