// Rebuilds the third-party files of api/assets/graphiql/ (GraphiQL, React, ReactDOM,
// graphql-ws) from the npm registry, and writes LICENSES.md and VERSIONS.md beside them.
//
//   node tests/browser/vendor-graphiql.mjs      (from the repository root; needs npm and tar)
//
// Every version is pinned here; `npm pack` checks each tarball against the registry's
// integrity. The hand-written files (index.html, graphiql-page.css, graphiql-setup.js) are
// left alone and only hashed. To move to another version: change VENDORED, run this, read the
// diff, run graphiql.test.mjs.

import { execFileSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const OUT = path.join(ROOT, "api", "assets", "graphiql");

// The files served to the browser: package, file in its tarball, name in OUT.
const VENDORED = [
  { pkg: "react@18.3.1", from: "umd/react.production.min.js", to: "react.production.min.js" },
  { pkg: "react-dom@18.3.1", from: "umd/react-dom.production.min.js", to: "react-dom.production.min.js" },
  { pkg: "graphql-ws@6.4.2", from: "umd/graphql-ws.min.js", to: "graphql-ws.min.js" },
  { pkg: "graphiql@4.1.2", from: "graphiql.min.js", to: "graphiql.min.js" },
  { pkg: "graphiql@4.1.2", from: "graphiql.min.css", to: "graphiql.min.css" },
];
const OWN = ["index.html", "graphiql-page.css", "graphiql-setup.js"];

// What graphiql.min.js bundles (its source map names each package under node_modules, or a
// GraphiQL monorepo folder), at the versions graphiql@4.1.2's dependency tree resolves to.
// The check below fails when the source map names a package missing here.
const BUNDLED = {
  graphiql: "4.1.2",
  "@graphiql/react": "0.34.1",
  "@graphiql/toolkit": "0.11.3",
  "@graphiql/plugin-doc-explorer": "0.2.2",
  "@graphiql/plugin-history": "0.2.2",
  "codemirror-graphql": "2.2.9",
  "graphql-language-service": "5.7.0",
  "@floating-ui/core": "1.8.0",
  "@floating-ui/dom": "1.8.0",
  "@floating-ui/react": "0.26.28",
  "@floating-ui/react-dom": "2.1.9",
  "@floating-ui/utils": "0.2.12",
  "@headlessui/react": "2.2.10",
  "@n1ru4l/push-pull-async-iterable-iterator": "3.2.0",
  "@radix-ui/primitive": "1.2.0",
  "@radix-ui/react-arrow": "1.1.17",
  "@radix-ui/react-collection": "1.2.0",
  "@radix-ui/react-compose-refs": "1.1.5",
  "@radix-ui/react-context": "1.3.0",
  "@radix-ui/react-dialog": "1.3.1",
  "@radix-ui/react-direction": "1.2.0",
  "@radix-ui/react-dismissable-layer": "1.2.1",
  "@radix-ui/react-dropdown-menu": "2.2.1",
  "@radix-ui/react-focus-guards": "1.2.0",
  "@radix-ui/react-focus-scope": "1.3.1",
  "@radix-ui/react-id": "1.1.4",
  "@radix-ui/react-menu": "2.2.1",
  "@radix-ui/react-popper": "1.4.0",
  "@radix-ui/react-portal": "1.2.0",
  "@radix-ui/react-presence": "1.1.11",
  "@radix-ui/react-primitive": "2.2.0",
  "@radix-ui/react-roving-focus": "1.2.1",
  "@radix-ui/react-slot": "1.5.0",
  "@radix-ui/react-tooltip": "1.4.1",
  "@radix-ui/react-use-callback-ref": "1.1.5",
  "@radix-ui/react-use-controllable-state": "1.3.0",
  "@radix-ui/react-use-escape-keydown": "1.1.1",
  "@radix-ui/react-use-layout-effect": "1.1.4",
  "@radix-ui/react-use-size": "1.1.5",
  "@radix-ui/react-visually-hidden": "1.2.13",
  "@react-aria/focus": "3.22.1",
  "@react-aria/interactions": "3.28.1",
  "@react-aria/utils": "3.34.1",
  "@tanstack/react-virtual": "3.14.26",
  "@tanstack/virtual-core": "3.19.11",
  "aria-hidden": "1.2.6",
  clsx: "2.1.1",
  codemirror: "5.65.21",
  "copy-to-clipboard": "3.3.3",
  entities: "4.5.0",
  "framer-motion": "12.43.0",
  "get-nonce": "1.0.1",
  "get-value": "3.0.1",
  graphql: "16.15.0",
  "graphql-ws": "6.4.2",
  "is-plain-object": "2.0.4",
  "is-primitive": "3.0.1",
  isobject: "3.0.1",
  "linkify-it": "5.0.2",
  "markdown-it": "14.3.3",
  mdurl: "2.1.0",
  meros: "1.3.2",
  "motion-dom": "12.43.0",
  "motion-utils": "12.39.0",
  nullthrows: "1.1.1",
  "punycode.js": "2.3.1",
  react: "18.3.1",
  "react-compiler-runtime": "19.1.0-rc.1",
  "react-dom": "18.3.1",
  "react-remove-scroll": "2.7.2",
  "react-remove-scroll-bar": "2.3.8",
  "react-style-singleton": "2.2.3",
  "set-value": "4.1.0",
  "toggle-selection": "1.0.6",
  tslib: "2.9.1",
  "uc.micro": "2.1.0",
  "use-callback-ref": "1.3.3",
  "use-sidecar": "1.1.3",
  "use-sync-external-store": "1.7.0",
  "vscode-languageserver-types": "3.18.5",
  zustand: "5.1.0",
};
// GraphiQL monorepo folders in the source map -> their npm packages.
const MONOREPO = {
  src: "graphiql",
  "graphiql-react": "@graphiql/react",
  "graphiql-toolkit": "@graphiql/toolkit",
  "graphiql-plugin-doc-explorer": "@graphiql/plugin-doc-explorer",
  "graphiql-plugin-history": "@graphiql/plugin-history",
  "codemirror-graphql": "codemirror-graphql",
  "graphql-language-service": "graphql-language-service",
};
// Packages whose tarball has no licence file: their package.json says MIT; the text is the
// MIT licence with the holder named by the package's author or repository.
const MIT_WITHOUT_FILE = {
  "@graphiql/plugin-doc-explorer": "2021 GraphQL Contributors (as graphiql's LICENSE; same repository)",
  "@graphiql/plugin-history": "2021 GraphQL Contributors (as graphiql's LICENSE; same repository)",
  "@radix-ui/react-use-escape-keydown": "2022 WorkOS (as the other @radix-ui packages; same repository)",
  "react-compiler-runtime": "Meta Platforms, Inc. and affiliates (repository facebook/react)",
  "react-remove-scroll-bar": "Anton Korzunov (package author)",
  "toggle-selection": "sudodoki (package author)",
};
// Fonts embedded (data: URLs) in graphiql.min.css, from @graphiql/react's font/*.css; the
// copyright and licence are those in each font's name table.
const FONTS = [
  {
    name: "Roboto 2.137 (28 faces, woff2)",
    holder: "Copyright 2011 Google Inc. All Rights Reserved.",
    license: "Apache-2.0",
    // The Apache License 2.0 terms as in @react-aria/focus's LICENSE, up to "END OF TERMS AND
    // CONDITIONS" (its appendix names Adobe), under the font's own copyright line.
    textFrom: "@react-aria/focus",
    cutAfter: "END OF TERMS AND CONDITIONS",
  },
  {
    name: "Fira Code 5.002 (6 faces, woff)",
    holder: "Copyright 2014-2020 The Fira Code Project Authors (https://github.com/tonsky/FiraCode)",
    license: "OFL-1.1",
    textFrom: "@fontsource/fira-code@5.3.0", // its LICENSE: that copyright line + the OFL 1.1
  },
];

const MIT_TEXT = (holder) => `MIT License

Copyright (c) ${holder}

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
`;

const TYPES = { ".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8", ".html": "text/html; charset=utf-8", ".md": "text/markdown; charset=utf-8" };
const sha256 = (file) => crypto.createHash("sha256").update(fs.readFileSync(file)).digest("hex");
const run = (cmd, args, opts = {}) => execFileSync(cmd, args, { encoding: "utf8", maxBuffer: 64 << 20, ...opts });

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "vendor-graphiql-"));
try {
  // 1. The served files.
  const specs = [...new Set(VENDORED.map((v) => v.pkg))];
  console.log(`npm pack ${specs.join(" ")}`);
  const packed = JSON.parse(run("npm", ["pack", "--json", "--pack-destination", scratch, ...specs], { cwd: scratch }));
  const tarballs = {};
  for (const p of packed) {
    const spec = `${p.name}@${p.version}`;
    const dir = path.join(scratch, "pkg", spec.replace("/", "+"));
    fs.mkdirSync(dir, { recursive: true });
    run("tar", ["-xzf", path.join(scratch, p.filename), "-C", dir]);
    tarballs[spec] = { dir: path.join(dir, "package"), integrity: p.integrity, filename: p.filename };
  }
  for (const v of VENDORED) {
    fs.copyFileSync(path.join(tarballs[v.pkg].dir, v.from), path.join(OUT, v.to));
  }

  // 2. Check the list of bundled packages against graphiql.min.js's source map.
  const map = JSON.parse(fs.readFileSync(path.join(tarballs["graphiql@4.1.2"].dir, "graphiql.min.js.map"), "utf8"));
  const named = new Set();
  for (const source of map.sources) {
    const at = source.lastIndexOf("node_modules/");
    if (at >= 0) {
      const parts = source.slice(at + "node_modules/".length).split("/");
      named.add(parts[0].startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0]);
    } else {
      const folder = source.replace(/^(\.\.\/)+/, "").split("/")[0];
      if (!MONOREPO[folder]) throw new Error(`source map names ${source}: add its folder to MONOREPO`);
      named.add(MONOREPO[folder]);
    }
  }
  const unlisted = [...named].filter((n) => !BUNDLED[n]);
  if (unlisted.length) throw new Error(`graphiql.min.js bundles packages missing from BUNDLED: ${unlisted.join(", ")}`);

  // 3. Licence texts: the licence file(s) of each package's tarball at the pinned version.
  const licenseSpecs = [
    ...Object.entries(BUNDLED).map(([n, v]) => `${n}@${v}`),
    ...FONTS.map((f) => f.textFrom).filter((t) => t.includes("@", 1)),
  ].filter((s) => !tarballs[s]);
  console.log(`npm pack (licence texts) ${licenseSpecs.length} packages`);
  const licPacked = JSON.parse(run("npm", ["pack", "--json", "--pack-destination", scratch, ...licenseSpecs], { cwd: scratch }));
  for (const p of licPacked) {
    const spec = `${p.name}@${p.version}`;
    const dir = path.join(scratch, "pkg", spec.replace("/", "+"));
    fs.mkdirSync(dir, { recursive: true });
    run("tar", ["-xzf", path.join(scratch, p.filename), "-C", dir]);
    tarballs[spec] = { dir: path.join(dir, "package"), integrity: p.integrity, filename: p.filename };
  }
  const licenseOf = (spec) => {
    const dir = tarballs[spec].dir;
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
    const files = fs.readdirSync(dir).filter((f) => /^(licen[cs]e|copying)/i.test(f)).sort();
    const id = typeof pkg.license === "string" ? pkg.license : JSON.stringify(pkg.license);
    if (files.length) {
      const read = (f) => fs.readFileSync(path.join(dir, f), "utf8").replace(/^(\s*\n)+/, "").trimEnd() + "\n";
      return { id, source: files.join(", "), text: files.map(read).join("\n") };
    }
    const name = spec.slice(0, spec.lastIndexOf("@"));
    if (id !== "MIT" || !MIT_WITHOUT_FILE[name]) throw new Error(`${spec} has no licence file (license: ${id})`);
    return { id, source: `no licence file; package.json "license": "MIT", holder: ${MIT_WITHOUT_FILE[name]}`, text: MIT_TEXT(MIT_WITHOUT_FILE[name].replace(/ \(.*\)$/, "")) };
  };

  // Group identical texts so each is written once.
  const texts = []; // { text, users: [..] }
  const addText = (text, user) => {
    let entry = texts.find((t) => t.text === text);
    if (!entry) texts.push((entry = { text, users: [] }));
    entry.users.push(user);
    return texts.indexOf(entry) + 1;
  };
  const rows = [];
  const inFile = (name) =>
    ["react", "react-dom", "graphql-ws"].includes(name) ? `${VENDORED.find((v) => v.pkg.startsWith(name + "@")).to} (and inside graphiql.min.js)` : "graphiql.min.js / .css";
  for (const [name, version] of Object.entries(BUNDLED)) {
    const spec = `${name}@${version}`;
    const lic = licenseOf(spec);
    const n = addText(lic.text, spec);
    rows.push(`| ${spec} | ${lic.id} | ${inFile(name)} | ${lic.source} | [${n}](#text-${n}) |`);
  }
  for (const font of FONTS) {
    const spec = font.textFrom.includes("@", 1) ? font.textFrom : `${font.textFrom}@${BUNDLED[font.textFrom]}`;
    let { text } = licenseOf(spec);
    let source = `text as in ${spec}`;
    if (font.cutAfter) {
      const at = text.indexOf(font.cutAfter);
      if (at < 0) throw new Error(`${spec}'s licence has no "${font.cutAfter}"`);
      text = `${font.holder}\n\n${text.slice(0, at + font.cutAfter.length)}\n`;
      source = `${font.holder} + the terms of ${spec}'s LICENSE (without its appendix)`;
    }
    const n = addText(text, font.name);
    rows.push(`| font ${font.name}: ${font.holder} | ${font.license} | graphiql.min.css | ${source} | [${n}](#text-${n}) |`);
  }

  const licenses = [
    "# Licences of the third-party files in this folder",
    "",
    "Generated by `node tests/browser/vendor-graphiql.mjs`; do not edit by hand.",
    "",
    "`react.production.min.js`, `react-dom.production.min.js` and `graphql-ws.min.js` are the",
    "packages of the same names. `graphiql.min.js` and `graphiql.min.css` are GraphiQL's browser",
    "build, which bundles every package below (the list is checked against the build's source",
    "map; versions are those graphiql@4.1.2's dependency tree resolves to, whose licence files",
    "the texts are taken from) and embeds the Roboto and Fira Code fonts. `index.html`,",
    "`graphiql-page.css` and `graphiql-setup.js` belong to this project.",
    "",
    "| package | licence | in | text source | text |",
    "| --- | --- | --- | --- | --- |",
    ...rows,
    "",
    "## Texts",
    "",
    ...texts.flatMap((t, i) => [
      `### <a id="text-${i + 1}"></a>${i + 1}. ${t.users.join(", ")}`,
      "",
      "```text",
      t.text.trimEnd(),
      "```",
      "",
    ]),
  ].join("\n");
  fs.writeFileSync(path.join(OUT, "LICENSES.md"), licenses);

  // 4. VERSIONS.md: each file, where it comes from, its hash.
  const fileRows = [
    ...VENDORED.map((v) => ({ file: v.to, from: `${v.pkg} \`package/${v.from}\`` })),
    ...OWN.map((f) => ({ file: f, from: "this project (hand-written)" })),
    { file: "LICENSES.md", from: "generated by vendor-graphiql.mjs" },
  ].map(({ file, from }) => {
    const p = path.join(OUT, file);
    return `| ${file} | ${from} | ${fs.statSync(p).size} | ${TYPES[path.extname(file)]} | \`${sha256(p)}\` |`;
  });
  const total = [...VENDORED.map((v) => v.to), ...OWN].reduce((n, f) => n + fs.statSync(path.join(OUT, f)).size, 0);
  const versions = [
    "# GraphiQL's assets: versions, hashes, how to redo",
    "",
    "Generated by `node tests/browser/vendor-graphiql.mjs` (run from the repository root); do",
    "not edit by hand. Served by the API at `/graphiql` (index.html) and",
    "`/graphiql/assets/<file name>`; nothing is loaded from elsewhere.",
    "",
    "| file | from | bytes | Content-Type | sha256 |",
    "| --- | --- | --- | --- | --- |",
    ...fileRows,
    "",
    `Served files in total (without the .md files): ${total} bytes.`,
    "",
    "## Tarballs (npm registry, integrity as published)",
    "",
    ...specs.map((s) => `- ${s}: \`${tarballs[s].integrity}\``),
    "",
    "## Commands",
    "",
    "What the script does for the served files, by hand:",
    "",
    "```sh",
    "cd \"$(mktemp -d)\"",
    `npm pack ${specs.join(" ")}`,
    ...specs.map((s) => {
      const f = tarballs[s].filename;
      return `mkdir -p ${f.replace(/\.tgz$/, "")} && tar -xzf ${f} -C ${f.replace(/\.tgz$/, "")}`;
    }),
    ...VENDORED.map((v) => `cp ${tarballs[v.pkg].filename.replace(/\.tgz$/, "")}/package/${v.from} "$REPO/api/assets/graphiql/${v.to}"`),
    "cd \"$REPO/api/assets/graphiql\" && sha256sum *",
    "```",
    "",
    "LICENSES.md: `npm pack <package>@<version>` of every package in its table, each package's",
    "licence file copied as it is (see the script for the few without one). The bundled-package",
    "list is checked against `package/graphiql.min.js.map` in graphiql's tarball.",
    "",
    "Why these versions: GraphiQL 4.1.2 is the last release with a browser (UMD) build usable",
    "with plain `<script>` tags (5.x is ES modules with Monaco and web workers only); it needs",
    "React 18 or 19, and React 19 ships no UMD build, so React and ReactDOM are 18.3.1 (the last",
    "18.x). graphql-ws 6.4.2 is the current release and has a UMD build (global `graphqlWs`).",
    "",
  ].join("\n");
  fs.writeFileSync(path.join(OUT, "VERSIONS.md"), versions);
  console.log(`wrote ${OUT}: ${VENDORED.length} vendored files, LICENSES.md (${texts.length} texts), VERSIONS.md`);
} finally {
  fs.rmSync(scratch, { recursive: true, force: true });
}
