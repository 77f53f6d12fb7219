#!/usr/bin/env node
// Builds a persisted-operations allow-list manifest (CONTRACT.md §12, PERSISTED_OPERATIONS=allowlist):
// a JSON object {"<sha256 hex of the document>": "<document>"}, written to standard output.
//
//   node examples/allowlist/build-manifest.mjs [INPUT...] > manifest.json
//
// Each INPUT is
// - a .graphql file: one operation, listed with its text exactly as the file holds it (what
//   graphql_client, and any client that sends its operation files as they are, sends);
// - a .json file of persisted documents {"<sha256>": "<document>"} (GraphQL Code Generator's
//   persisted-documents.json: what its client preset's documents send); each hash is checked.
// Without INPUT: the example clients' operations, examples/rust-client/operations/*.graphql and
// examples/ts-client/src/gql/persisted-documents.json (run `npm run codegen` there first).
// The server compares by hash or by identical text, so a document must be listed byte for byte
// as its client sends it: two clients formatting one operation differently are two entries.
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const examples = join(dirname(fileURLToPath(import.meta.url)), '..');
const sha256 = (text) => createHash('sha256').update(text, 'utf8').digest('hex');

function defaultInputs() {
  const rust = join(examples, 'rust-client', 'operations');
  return [
    ...readdirSync(rust).filter((f) => f.endsWith('.graphql')).sort().map((f) => join(rust, f)),
    join(examples, 'ts-client', 'src', 'gql', 'persisted-documents.json'),
  ];
}

const inputs = process.argv.length > 2 ? process.argv.slice(2) : defaultInputs();
const manifest = {};
for (const input of inputs) {
  let documents;
  try {
    documents = readFileSync(input, 'utf8');
  } catch (error) {
    console.error(`cannot read ${input}: ${error.message}`);
    process.exit(1);
  }
  if (input.endsWith('.json')) {
    for (const [hash, document] of Object.entries(JSON.parse(documents))) {
      if (sha256(document) !== hash) {
        console.error(`${relative(process.cwd(), input)}: ${hash} is not the SHA-256 of its document`);
        process.exit(1);
      }
      manifest[hash] = document;
    }
  } else {
    manifest[sha256(documents)] = documents;
  }
}
const sorted = Object.fromEntries(Object.entries(manifest).sort(([a], [b]) => a.localeCompare(b)));
process.stdout.write(`${JSON.stringify(sorted, null, 2)}\n`);
