#!/usr/bin/env node
// Validate every *.json file (non-recursive) in a directory against the official
// HL7 FHIR R4 (4.0.1) JSON schema. Each file holds one resource (a Bundle is a resource;
// its entries are validated recursively by the schema via Bundle.entry.resource -> ResourceList).
//
// Usage: node validate.mjs <dir>
// Exit:  0 all files valid, 1 at least one invalid file, 2 usage/setup error.
import Ajv from "ajv";
import { createRequire } from "node:module";
import { readFileSync, readdirSync, realpathSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ensureSchema } from "./fetch-schema.mjs";

const MAX_ERRORS_PER_FILE = 20;
const require = createRequire(import.meta.url);
const draft6MetaSchema = require("ajv/dist/refs/json-schema-draft-06.json");

function die(msg) {
  process.stderr.write(`validate: ${msg}\n`);
  process.exit(2);
}

function newAjv(allErrors) {
  // strict:false: the schema uses non-standard keywords (`discriminator` with `mapping`,
  // which ajv's own discriminator support cannot handle). All FHIR patterns are ASCII,
  // so ajv's default unicode ("u") regexps behave identically to non-unicode ones.
  const ajv = new Ajv({ strict: false, allErrors });
  ajv.addMetaSchema(draft6MetaSchema);
  return ajv;
}

/**
 * Compile the official schema once. Returns { validate, forType(resourceType) }:
 * `validate` is the root schema (the verdict; allErrors:false, fast); `forType` returns a
 * validator for one resource definition, from a second allErrors:true instance that is
 * compiled lazily, only when some file is invalid (used for complete error messages).
 */
export function compileFhirSchema({ verbose = false } = {}) {
  const log = verbose ? (m) => process.stderr.write(`validate: ${m}\n`) : () => {};
  const t0 = performance.now();
  const schema = JSON.parse(readFileSync(ensureSchema(), "utf8"));
  // The file is a draft-06 schema that names itself with the pre-draft-06 keyword `id`,
  // which ajv 8 rejects; move it to `$id` in memory (the file on disk stays untouched).
  if (schema.id !== undefined && schema.$id === undefined) {
    schema.$id = schema.id;
    delete schema.id;
  }
  const schemaId = schema.$id;
  const validate = newAjv(false).compile(schema);
  log(`compiled schema in ${Math.round(performance.now() - t0)} ms`);

  const resourceTypes = new Set(
    (schema.definitions?.ResourceList?.oneOf ?? []).map((r) => r.$ref?.replace("#/definitions/", "")),
  );
  let detail;
  const forType = (rt) => {
    if (typeof rt !== "string" || !resourceTypes.has(rt)) return undefined;
    if (!detail) {
      const t1 = performance.now();
      detail = newAjv(true);
      detail.addSchema(schema);
      detail.getSchema(`${schemaId}#/definitions/Bundle`); // pulls in ResourceList, i.e. everything
      log(`compiled allErrors schema for error reporting in ${Math.round(performance.now() - t1)} ms`);
    }
    return detail.getSchema(`${schemaId}#/definitions/${rt}`);
  };
  return { validate, forType };
}

// --- error focusing -------------------------------------------------------------------
// The root schema (and ResourceList, used for Bundle entries / contained resources) is a
// `oneOf` over ~147 resource types, so a failure reports the errors of every branch.
// The verdict always comes from the official root schema; for *reporting* we re-validate
// each failing resource against the definition of its own resourceType, recursing into
// nested resources (Bundle entries, contained, Parameters.parameter.resource, ...).

const ptr = (segments) => segments.map((s) => "/" + String(s).replace(/~/g, "~0").replace(/\//g, "~1")).join("");
const unptr = (p) => (p === "" ? [] : p.slice(1).split("/").map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~")));
const isResource = (v) => v !== null && typeof v === "object" && !Array.isArray(v) && typeof v.resourceType === "string";

function focusedErrors(data, basePath, forType, depth = 0) {
  const v = forType(data?.resourceType);
  if (!v || depth > 20) return null; // unknown resourceType: caller falls back to raw errors
  if (v(data)) return [];
  const out = [];
  const nested = new Map(); // pointer of nested resource -> its data
  for (const e of v.errors) {
    const segs = unptr(e.instancePath);
    let node = data;
    let nestedAt = -1;
    for (let i = 0; i < segs.length; i++) {
      node = node?.[segs[i]];
      if (isResource(node)) {
        nestedAt = i;
        break;
      }
    }
    if (nestedAt >= 0) {
      nested.set(ptr(segs.slice(0, nestedAt + 1)), node);
    } else {
      out.push({ ...e, instancePath: basePath + e.instancePath });
    }
  }
  for (const [p, sub] of nested) {
    const inner = focusedErrors(sub, basePath + p, forType, depth + 1);
    if (inner) out.push(...inner);
    else out.push({ instancePath: basePath + p + "/resourceType", message: `unknown resourceType "${sub.resourceType}"` });
  }
  return out;
}

function formatError(e) {
  let msg = e.message ?? e.keyword;
  const p = e.params ?? {};
  if (e.keyword === "additionalProperties") msg = `unknown property "${p.additionalProperty}"`;
  else if (e.keyword === "enum") msg = `must be one of ${JSON.stringify(p.allowedValues)}`;
  else if (e.keyword === "pattern") {
    const m = /#\/definitions\/([^/]+)\/pattern$/.exec(e.schemaPath ?? "");
    msg = m ? `must match the FHIR ${m[1]} pattern` : `must match pattern ${p.pattern}`;
  } else if (e.keyword === "const" && p.allowedValue !== undefined) msg = `must be ${JSON.stringify(p.allowedValue)}`;
  return `${e.instancePath || "/"}: ${msg}`;
}

export function validateResource(data, { validate, forType }) {
  if (validate(data)) return [];
  const raw = validate.errors ?? [];
  let errs = isResource(data) ? focusedErrors(data, "", forType) : null;
  if (!errs || errs.length === 0) {
    errs = isResource(data) && !forType(data.resourceType)
      ? [{ instancePath: "/resourceType", message: `unknown resourceType "${data.resourceType}"` }]
      : raw;
  }
  // An object inside a ResourceList (Bundle entry, contained) without resourceType fails
  // every oneOf branch; keep only the "missing resourceType" error for it.
  const noType = new Set(
    errs.filter((e) => e.keyword === "required" && e.params?.missingProperty === "resourceType").map((e) => e.instancePath),
  );
  const under = (path) => [...noType].some((p) => path === p || path.startsWith(p + "/"));
  errs = errs.filter((e) => !under(e.instancePath) || (noType.has(e.instancePath) && e.params?.missingProperty === "resourceType"));
  const seen = new Set();
  const lines = [];
  for (const e of errs) {
    const line = formatError(e);
    if (!seen.has(line)) {
      seen.add(line);
      lines.push(line);
    }
  }
  return lines.length ? lines : ["/: invalid (no details from ajv)"];
}

async function main() {
  const args = process.argv.slice(2);
  const verbose = args.includes("-v") || args.includes("--verbose");
  const dirs = args.filter((a) => !a.startsWith("-"));
  if (dirs.length !== 1) die("usage: node validate.mjs [-v] <dir>");
  const dir = dirs[0];
  let files;
  try {
    if (!statSync(dir).isDirectory()) die(`not a directory: ${dir}`);
    files = readdirSync(dir).filter((f) => f.endsWith(".json")).sort();
  } catch (e) {
    die(`cannot read ${dir}: ${e.message}`);
  }

  let compiled;
  try {
    compiled = compileFhirSchema({ verbose });
  } catch (e) {
    die(`cannot load FHIR schema: ${e.message}`);
  }

  const t0 = performance.now();
  let invalid = 0;
  for (const f of files) {
    let errors;
    try {
      errors = validateResource(JSON.parse(readFileSync(join(dir, f), "utf8")), compiled);
    } catch (e) {
      errors = [`/: cannot parse JSON: ${e.message}`];
    }
    if (errors.length === 0) {
      console.log(`ok ${f}`);
    } else {
      invalid++;
      console.log(`INVALID ${f}`);
      for (const line of errors.slice(0, MAX_ERRORS_PER_FILE)) console.log(`  ${line}`);
      if (errors.length > MAX_ERRORS_PER_FILE) console.log(`  ... ${errors.length - MAX_ERRORS_PER_FILE} more`);
    }
  }
  if (verbose) process.stderr.write(`validate: validated in ${Math.round(performance.now() - t0)} ms\n`);
  console.log(`validated ${files.length} files, ${invalid} invalid`);
  process.exit(invalid === 0 ? 0 : 1);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === realpathSync(process.argv[1])) {
  main();
}
