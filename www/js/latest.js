// @ts-check
// "Only the latest": at most one request in flight, and while it runs only the newest argument
// waits. Live drawing asks far more often than the worker can answer; stale asks are dropped.

/** Returns `submit(arg)`; `run(arg)` is awaited one call at a time, always on the newest arg. */
export function latestOnly(run) {
  let busy = false;
  /** @type {{arg: any} | null} */
  let waiting = null;
  return function submit(arg) {
    waiting = { arg };
    if (busy) return;
    busy = true;
    (async () => {
      while (waiting) {
        const { arg: next } = waiting;
        waiting = null;
        try {
          await run(next);
        } catch {
          // `run` reports its own errors; the queue must keep going.
        }
      }
      busy = false;
    })();
  };
}
