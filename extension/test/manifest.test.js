import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const manifest = JSON.parse(readFileSync(join(root, 'manifest.json'), 'utf8'));

function files(dir) {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    if (['node_modules', 'test'].includes(name)) return [];
    return statSync(full).isDirectory() ? files(full) : [full];
  });
}

test('Manifest V3 for Chrome 116+, module service worker, narrow permissions', () => {
  assert.equal(manifest.manifest_version, 3);
  assert.equal(manifest.minimum_chrome_version, '116');
  assert.deepEqual(manifest.background, { service_worker: 'background.js', type: 'module' });
  assert.deepEqual([...manifest.permissions].sort(), ['alarms', 'scripting', 'storage']);
  assert.ok(!manifest.host_permissions.includes('<all_urls>'));
  assert.match(manifest.content_security_policy.extension_pages, /^script-src 'self'; object-src 'self'$/);
});

test('no remote code, no eval', () => {
  const code = files(root).filter((f) => /\.(js|html)$/.test(f));
  assert.ok(code.length > 5);
  for (const file of code) {
    const text = readFileSync(file, 'utf8');
    assert.doesNotMatch(text, /\beval\s*\(|new Function\s*\(|importScripts|setTimeout\(\s*['"`]/, file);
    assert.doesNotMatch(text, /<script[^>]+src=["']https?:|import\s*\(?\s*['"]https?:/, file);
    if (file.endsWith('.html')) assert.doesNotMatch(text, /<script(?![^>]*\bsrc=)[^>]*>/, `${file}: inline script`);
  }
});

test('every file the manifest names exists', () => {
  for (const path of [manifest.background.service_worker, manifest.action.default_popup]) {
    assert.ok(statSync(join(root, path)).isFile(), path);
  }
});
