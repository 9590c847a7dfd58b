// Regenerates src/api/schema.d.ts from the API document.
// The document: the repository's combined openapi/stoflow.json when it exists, else the HTTP
// functions' documents merged (scripts/dump_openapi.py, written to src/api/openapi.json).
//   node scripts/openapi-types.mjs          regenerate
//   node scripts/openapi-types.mjs --check  exit 1 when schema.d.ts differs from the document
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { generateTypes } from './generate.mjs';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const combined = here('../../openapi/stoflow.json');
const merged = here('../src/api/openapi.json');
const target = here('../src/api/schema.d.ts');
const check = process.argv.includes('--check');

let source = combined;
if (!existsSync(combined)) {
  source = merged;
  if (!check) {
    const python = process.env.STOFLOW_PYTHON ?? here('../../.venv/bin/python');
    writeFileSync(merged, execFileSync(python, [here('./dump_openapi.py')], { maxBuffer: 64 << 20 }));
  }
}
const types = await generateTypes(JSON.parse(readFileSync(source, 'utf8')));
if (check) {
  if (readFileSync(target, 'utf8') !== types) {
    console.error(`src/api/schema.d.ts drifted from ${source}: run npm run types`);
    process.exit(1);
  }
} else {
  writeFileSync(target, types);
  console.log(`src/api/schema.d.ts from ${source}`);
}
