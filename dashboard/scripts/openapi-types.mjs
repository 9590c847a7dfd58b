// Regenerates src/api/schema.d.ts from the repository's combined OpenAPI document
// (openapi/stoflow.json, written by `make openapi`).
//   node scripts/openapi-types.mjs          regenerate
//   node scripts/openapi-types.mjs --check  exit 1 when schema.d.ts differs from the document
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { generateTypes } from './generate.mjs';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const source = here('../../openapi/stoflow.json');
const target = here('../src/api/schema.d.ts');
const types = await generateTypes(JSON.parse(readFileSync(source, 'utf8')));
if (process.argv.includes('--check')) {
  if (readFileSync(target, 'utf8') !== types) {
    console.error('src/api/schema.d.ts drifted from openapi/stoflow.json: run npm run types');
    process.exit(1);
  }
} else {
  writeFileSync(target, types);
  console.log('src/api/schema.d.ts from openapi/stoflow.json');
}
