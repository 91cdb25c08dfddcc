// Polling that pauses while the tab is hidden: `fn` runs now, then `everyMs` after each run finishes (never
// two at once), stops while document.hidden, and runs at once when the tab is shown again.

/** Start polling `fn` (async). Returns {stop(), now()}: `now()` runs it at once (and restarts the wait). */
export function poller(fn, everyMs, { backoffMs = everyMs } = {}) {
  let timer = null;
  let running = false;
  let stopped = false;
  let failed = false;

  async function tick() {
    clearTimeout(timer);
    timer = null;
    if (stopped || running || document.hidden) return;
    running = true;
    try {
      await fn();
      failed = false;
    } catch (exc) {
      failed = true; // the caller shows the error; wait longer before the next try
    } finally {
      running = false;
    }
    if (!stopped && !document.hidden) timer = setTimeout(tick, failed ? backoffMs : everyMs);
  }

  function onVisibility() {
    if (document.hidden) {
      clearTimeout(timer);
      timer = null;
    } else if (!timer) tick();
  }

  document.addEventListener("visibilitychange", onVisibility);
  tick();
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
      document.removeEventListener("visibilitychange", onVisibility);
    },
    now: tick,
  };
}
