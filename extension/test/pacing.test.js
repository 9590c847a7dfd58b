import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FLOORS } from '../src/floors.js';
import { effectiveLimits, Paced, Pacer, Paused } from '../src/pacing.js';

const MIN = 60_000;
const HOUR = 60 * MIN;

function clock() {
  const c = { t: 1_000_000, slept: [] };
  c.now = () => c.t;
  c.sleep = async (ms) => {
    c.slept.push(ms);
    c.t += ms;
  };
  return c;
}

const pacerOn = (c, options = {}) => new Pacer({ now: c.now, sleep: c.sleep, random: () => 0.5, ...options });

test('one call at a time; reads a few seconds apart, writes 20-50 s apart, photos inside their write', async () => {
  const c = clock();
  const pacer = pacerOn(c);
  let inFlight = 0;
  const call = (kind) =>
    pacer.run(kind, async () => {
      inFlight += 1;
      assert.equal(inFlight, 1);
      await Promise.resolve();
      inFlight -= 1;
      return kind;
    });
  assert.deepEqual(await Promise.all([call('read'), call('read'), call('photo'), call('photo'), call('write'), call('photo'), call('write')]), [
    'read', 'read', 'photo', 'photo', 'write', 'photo', 'write',
  ]);
  const [read, photo1, photo2, write, nextPhoto, nextWrite] = c.slept;
  assert.equal(read, 5500, 'reads: 3-8 s');
  assert.ok(photo1 >= 2000 && photo2 <= 5000 && write <= 5000, 'photos and their item: a few seconds');
  assert.equal(nextPhoto, 35_000, 'the next write (its photos first) waits 20-50 s after the last write');
  assert.ok(nextWrite <= 5000);
});

test('writes are capped per rolling hour and per day; a long wait is handed back (Paced), nothing sent', async () => {
  const c = clock();
  const pacer = pacerOn(c, { sleep: async (ms) => { c.t += ms; } });
  for (let i = 0; i < FLOORS.writesPerHour; i += 1) await pacer.run('write', async () => {});
  let sent = false;
  const err = await pacer.run('write', async () => { sent = true; }).catch((e) => e);
  assert.ok(err instanceof Paced, String(err));
  assert.equal(sent, false);
  assert.ok(err.waitMs > 30 * MIN);
  assert.equal(await pacer.run('read', async () => 'read goes'), 'read goes', 'reads are capped apart');
  assert.equal(pacer.usage().writesThisHour, FLOORS.writesPerHour);
  c.t += HOUR;
  await pacer.run('write', async () => {});
  assert.equal(pacer.usage().writesThisHour, 1);
  assert.equal(pacer.usage().writesToday, FLOORS.writesPerHour + 1);
});

test("the server's plan can slow the extension down, never speed it up", () => {
  const faster = effectiveLimits({ write_gap_min_s: 1, write_gap_max_s: 2, writes_per_hour: 500, writes_per_day: 9000, pause_base_s: 5, pause_max_s: 10, time_scale: 0.001 });
  assert.deepEqual(faster, { ...FLOORS });
  const slower = effectiveLimits({ write_gap_min_s: 60, write_gap_max_s: 90, writes_per_hour: 10, writes_per_day: 50, pause_base_s: 7200, pause_max_s: 86_400, time_scale: 1 });
  assert.equal(slower.writeGapMinMs, 60_000);
  assert.equal(slower.writeGapMaxMs, 90_000);
  assert.equal(slower.writesPerHour, 10);
  assert.equal(slower.writesPerDay, 50);
  assert.equal(slower.pauseBaseMs, 2 * HOUR);
});

test('a pause lasts an hour at least, doubles on repeat up to a day, and holds until the server sends work again', async () => {
  const c = clock();
  const saved = [];
  const pacer = pacerOn(c, { save: (s) => saved.push(s) });
  assert.equal(pacer.pause(0, 'datadome'), HOUR);
  assert.equal(pacer.pause(2 * HOUR, 'rate_limited'), 2 * HOUR, 'one episode: lengthened to retry-after, not doubled');
  await assert.rejects(pacer.run('read', async () => 'x'), Paused);
  c.t += 2 * HOUR;
  await assert.rejects(pacer.run('read', async () => 'x'), /until you confirm/);
  pacer.serverSentWork();
  assert.equal(await pacer.run('read', async () => 'x'), 'x');
  const lengths = [];
  for (let i = 0; i < 6; i += 1) {
    lengths.push(pacer.pause(0, 'captcha'));
    c.t = pacer.pausedUntil + MIN;
    pacer.serverSentWork();
  }
  assert.deepEqual(lengths, [2 * HOUR, 4 * HOUR, 8 * HOUR, 16 * HOUR, 24 * HOUR, 24 * HOUR]);
  c.t += 25 * HOUR;
  assert.equal(pacer.pause(0, 'forbidden'), HOUR, 'a day without trouble starts again from an hour');
  const again = new Pacer({ now: c.now, state: saved.at(-1) });
  assert.equal(again.remainingPauseMs(), HOUR, 'the pause survives a restart');
  assert.ok(again.isPaused());
});
