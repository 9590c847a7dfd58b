import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeBackend, describePause, describeVinted } from '../src/status.js';

test('the popup says what state things are in', () => {
  assert.equal(describeBackend({ backend: 'connected' }, true).tone, 'ok');
  assert.match(describeBackend({ backend: 'connected' }, false).text, /Not paired/);
  assert.match(describeBackend({ backend: 'disconnected', detail: 'closed (1006)' }, true).text, /retrying/);
  assert.match(describeVinted({ logged_in: true, login: 'ana', domain: 'www.vinted.fr' }).text, /Logged in as ana/);
  assert.equal(describeVinted({ logged_in: false, domain: 'www.vinted.fr' }).tone, 'bad');
  assert.equal(describeVinted(null).tone, 'wait');
  assert.equal(describePause(0, 5), null);
  assert.match(describePause(10 * 60_000, 0), /10 min/);
});
