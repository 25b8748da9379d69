/**
 * Preloaded (`NODE_OPTIONS=--import=…`) into a CLI or action process by the tests of a second
 * signal: the cancel grace timer (CANCEL_GRACE_MS, set right after the first signal) is stretched
 * to 60 s, so an exit before that can only come from the second signal, however slow the machine.
 * BW_STRETCH_TIMER_MS names the timer's length; no other timer is touched.
 */
const stretched = Number(process.env.BW_STRETCH_TIMER_MS);
const original = globalThis.setTimeout;
globalThis.setTimeout = function setTimeout(fn, ms, ...args) {
  if (ms !== stretched) return original(fn, ms, ...args);
  process.stderr.write(`[test] a ${ms} ms timer stretched to 60 s\n`);
  return original(fn, 60_000, ...args);
};
