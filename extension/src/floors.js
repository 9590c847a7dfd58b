// The slowest pace this extension keeps with Vinted, whatever the server says (the server's plan
// can only make it slower). Why these figures: Vinted was observed to tolerate about 50 mutating
// requests an hour; 20-50 s between them and an hour or more of rest after a block were advised;
// other tools' users report blocks after 10-20 minutes of automated reads. See docs/marketplaces/vinted.md.
//
// TIME_SCALE stays 1 in the extension as shipped. The end-to-end tests load a copy of the
// extension where it is smaller, against the local Vinted sandbox only.
export const TIME_SCALE = 1;

const s = 1000 * TIME_SCALE;
export const FLOORS = Object.freeze({
  // Writes (publish, update, delete, message): a randomised gap after the previous write ended.
  writeGapMinMs: 20 * s,
  writeGapMaxMs: 50 * s,
  writesPerHour: 40,
  writesPerDay: 200,
  // A publish's photo uploads belong to it: a few seconds apart, inside the write's slot.
  photoGapMinMs: 2 * s,
  photoGapMaxMs: 5 * s,
  // Reads (one page of a list, one item): spaced, and capped per rolling hour.
  readGapMinMs: 3 * s,
  readGapMaxMs: 8 * s,
  readsPerHour: 120,
  // After DataDome, a captcha, a 403 or a 429: at least an hour, doubling on repeat, up to a day.
  pauseBaseMs: 3600 * s,
  pauseMaxMs: 24 * 3600 * s,
  hourMs: 3600 * s,
  dayMs: 24 * 3600 * s,
  // A wait longer than this is not spent inside a command: the command goes back to the server's
  // queue unspent ('paced') and comes again later.
  maxWaitMs: 120 * s,
});
