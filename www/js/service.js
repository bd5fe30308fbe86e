// @ts-check
// The page's side of its service worker (../sw.js): registers it, lets a new deployment's worker
// take over before any of this page's code runs (so old and new files never mix), and reloads
// once under it where the host's own headers leave the page without cross-origin isolation.

const RELOADED = 'cnn-playground-reloaded';
/** How long a first visit waits for the worker to install before it starts without it. */
const INSTALL_WAIT_MS = 5_000;

/** `promise`, or `fallback` once `ms` have passed. */
const within = (promise, ms, fallback) =>
  Promise.race([promise, new Promise((resolve) => setTimeout(() => resolve(fallback), ms))]);

/** Resolves when the page may start; never resolves when it is about to reload. */
export async function startService() {
  const sw = navigator.serviceWorker;
  if (!sw) return; // an insecure origin: the page runs, without offline or a second worker
  const registration = await within(
    sw.register(new URL('../sw.js', import.meta.url), { updateViaCache: 'none' }).catch(() => null),
    INSTALL_WAIT_MS, null);
  if (!registration) return; // service workers blocked: the page runs as the host serves it
  // A new deployment? Offline, or where the host cannot say, the installed build runs.
  if (sw.controller) await within(registration.update().catch(() => {}), INSTALL_WAIT_MS);
  const next = registration.installing ?? registration.waiting;
  if (next && sw.controller) {
    // A new build: once it is installed, it takes over and the page starts again on it.
    if (await within(installed(next), 4 * INSTALL_WAIT_MS, false)) return reload(sw, () => next.postMessage('takeOver'));
    return;
  }
  if (!crossOriginIsolated && !sessionStorage.getItem(RELOADED)) {
    // First visit to a host without the headers: the worker adds them once it controls the page.
    // It installs the page first; if that takes too long, the page starts as it is this time.
    const controlled = sw.controller
      || await within(new Promise((resolve) => sw.addEventListener('controllerchange', () => resolve(true), { once: true })), INSTALL_WAIT_MS, false);
    if (!controlled) return;
    sessionStorage.setItem(RELOADED, '1');
    location.reload();
    return new Promise(() => {});
  }
}

/** Whether `worker` reaches 'installed' (false if its install failed). */
function installed(worker) {
  return new Promise((resolve) => {
    const check = () => {
      if (worker.state === 'installed' || worker.state === 'activated') resolve(true);
      else if (worker.state === 'redundant') resolve(false);
    };
    worker.addEventListener('statechange', check);
    check();
  });
}

/** Reloads the page once `trigger` has made the new worker control it. */
function reload(sw, trigger) {
  sw.addEventListener('controllerchange', () => location.reload(), { once: true });
  trigger();
  return new Promise(() => {});
}
