#!/usr/bin/env node
// `npm test`: run validate.mjs on samples/ and check that exactly the invalid sample fails.
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const r = spawnSync(process.execPath, [join(here, "validate.mjs"), join(here, "samples")], { encoding: "utf8" });
process.stdout.write(r.stdout);
process.stderr.write(r.stderr);

const out = r.stdout.split("\n");
const checks = [
  ["exit code is 1", r.status === 1],
  ["valid Patient printed ok", out.includes("ok patient-valid.json")],
  ["invalid Observation reported", out.includes("INVALID observation-invalid.json")],
  ["missing Observation.code reported", out.includes("  /: must have required property 'code'")],
  ["summary line", out.includes("validated 2 files, 1 invalid")],
];
let failed = 0;
for (const [name, ok] of checks) {
  console.log(`${ok ? "PASS" : "FAIL"} ${name}`);
  if (!ok) failed++;
}
process.exit(failed ? 1 : 0);
