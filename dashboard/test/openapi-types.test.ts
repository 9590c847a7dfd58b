// Fails when src/api/schema.d.ts no longer matches the API document it is generated from
// (regenerate with `npm run types`).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
// @ts-expect-error - a plain ES module script
import { generateTypes } from '../scripts/generate.mjs';

const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));

describe('generated API types', () => {
  it('match the API document', async () => {
    const source = here('../../openapi/stoflow.json');
    const expected = await (generateTypes as (d: unknown) => Promise<string>)(JSON.parse(readFileSync(source, 'utf8')));
    expect(readFileSync(here('../src/api/schema.d.ts'), 'utf8') === expected, `schema.d.ts drifted from ${source}: npm run types`).toBe(true);
    // Generating the types from the whole document takes seconds on a busy machine: a harness limit, not a budget.
  }, 60_000);
});
