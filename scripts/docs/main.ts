/** `npm run docs`: writes the generated files; `npm run docs -- --check` only says which are stale (exit 1). */
import * as fs from "fs";
import * as path from "path";
import { generatedFiles, packageInput } from "./reference";

export function main(argv: readonly string[], root: string): number {
  const check = argv.includes("--check");
  const readme = fs.readFileSync(path.join(root, "README.md"), "utf8");
  const files = generatedFiles(packageInput(root), readme);
  const stale = Object.entries(files).filter(
    ([rel, text]) => !fs.existsSync(path.join(root, rel)) || fs.readFileSync(path.join(root, rel), "utf8") !== text,
  );
  if (check) {
    for (const [rel] of stale) console.error(`docs: ${rel} is stale: run npm run docs`);
    return stale.length === 0 ? 0 : 1;
  }
  for (const [rel, text] of stale) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
    console.log(`docs: wrote ${rel}`);
  }
  if (stale.length === 0) console.log("docs: up to date");
  return 0;
}
