import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Pacer, Paused } from '../src/pacing.js';

function clock() {
  const c = { t: 0, slept: [] };
  c.now = () => c.t;
  c.sleep = async (ms) => {
    c.slept.push(ms);
    c.t += ms;
  };
  return c;
}

test('one call at a time with a randomised gap between calls', async () => {
  const c = clock();
  const pacer = new Pacer({ now: c.now, sleep: c.sleep, random: () => 0.5, minGapMs: 1000, jitterMs: 2000 });
  const order = [];
  let inFlight = 0;
  const call = (name) =>
    pacer.run(async () => {
      inFlight += 1;
      assert.equal(inFlight, 1);
      order.push(name);
      await Promise.resolve();
      inFlight -= 1;
      return name;
    });
  assert.deepEqual(await Promise.all([call('a'), call('b'), call('c')]), ['a', 'b', 'c']);
  assert.deepEqual(order, ['a', 'b', 'c']);
  assert.deepEqual(c.slept, [2000, 2000]);
});

test('the pause doubles up to its ceiling and refuses calls while on', async () => {
  const c = clock();
  const saved = [];
  const pacer = new Pacer({ now: c.now, sleep: c.sleep, basePauseMs: 60_000, maxPauseMs: 300_000, save: (s) => saved.push(s) });
  assert.deepEqual([pacer.pause(), pacer.pause(), pacer.pause(), pacer.pause(), pacer.pause()], [60_000, 120_000, 240_000, 300_000, 300_000]);
  await assert.rejects(pacer.run(async () => 'x'), Paused);
  c.t += 300_000;
  assert.equal(await pacer.run(async () => 'x'), 'x');
  pacer.succeeded();
  assert.equal(pacer.pause(), 60_000, 'a success after the pause resets the doubling');
  assert.equal(saved.at(-1).pauseMs, 60_000);
});

test('retry-after longer than the pause wins; state survives a restart', () => {
  const c = clock();
  const pacer = new Pacer({ now: c.now, basePauseMs: 60_000 });
  assert.equal(pacer.pause(600_000), 600_000);
  const again = new Pacer({ now: c.now, state: { pausedUntil: pacer.pausedUntil, pauseMs: pacer.pauseMs } });
  assert.equal(again.remainingPauseMs(), 600_000);
});
