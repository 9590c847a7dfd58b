import { describe, expect, it } from 'vitest';
import { laneHeadline, type Lane } from '../src/composables/useVintedLane';
import en from '../src/locales/en.json';
import fr from '../src/locales/fr.json';

const NOW = new Date('2026-11-30T12:00:00Z');
const idle: Lane = {
  queued: 0,
  in_flight: null,
  next_command_at: null,
  writes_this_hour: 0,
  writes_today: 0,
  reads_this_hour: 0,
  writes_per_hour: 40,
  writes_per_day: 200,
  reads_per_hour: 30,
  paused: false,
  pause_reason: null,
  paused_until: null,
  resume_required: false,
  can_resume: false,
  logged_in: true,
  extension_online: true,
};

describe('the Vinted lane in one line', () => {
  it('puts a pause first, then the extension and the session', () => {
    const paused = { ...idle, paused: true, pause_reason: 'datadome', resume_required: true, extension_online: false };
    expect(laneHeadline({ ...paused, paused_until: '2026-11-30T13:00:00Z' }, NOW)).toEqual({ key: 'lane.pausedUntil', tone: 'bad' });
    expect(laneHeadline({ ...paused, paused_until: null }, NOW)).toEqual({ key: 'lane.pausedAwaitingYou', tone: 'bad' });
    expect(laneHeadline({ ...idle, extension_online: false, queued: 2 }, NOW).key).toBe('lane.extensionOffline');
    expect(laneHeadline({ ...idle, extension_online: false }, NOW).key).toBe('lane.idle');
    expect(laneHeadline({ ...idle, logged_in: false }, NOW).key).toBe('lane.loggedOut');
    expect(laneHeadline({ ...idle, in_flight: { job_id: 3, command: 'vinted.publish', deadline_at: null } }, NOW).key).toBe('lane.running');
    expect(laneHeadline({ ...idle, queued: 4 }, NOW)).toEqual({ key: 'lane.waitingTurn', tone: 'warn' });
    expect(laneHeadline(idle, NOW)).toEqual({ key: 'lane.idle', tone: 'ok' });
  });

  it('is worded in French and English alike', () => {
    const keys = (o: object, prefix = ''): string[] =>
      Object.entries(o).flatMap(([k, v]) => (typeof v === 'object' ? keys(v, `${prefix}${k}.`) : [`${prefix}${k}`]));
    expect(keys(fr.lane).sort()).toEqual(keys(en.lane).sort());
  });
});
