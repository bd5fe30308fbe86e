// @ts-check
// The engines besides Chromium, each driven through its own W3C WebDriver server, as Debian
// packages them: Firefox ESR through geckodriver, WebKitGTK's MiniBrowser through
// WebKitWebDriver (under an Xvfb display of its own), and WPE WebKit's cog through WPEWebDriver
// (headless). One small client speaks the protocol to all three; nothing is downloaded.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const TOOLS = process.env.CNN_PLAYGROUND_TOOLS ?? path.join(os.homedir(), '.cache/cnn-playground');
const ELEMENT = 'element-6066-11e4-a52e-4f735466cecf';

/**
 * @typedef {object} Engine
 * @property {string} name  as the README names it
 * @property {string} driver  the WebDriver server's binary
 * @property {string} browser  the browser's binary (the engine is there when both are)
 * @property {(binary: string) => object} capabilities  the session's, for `binary`
 * @property {boolean} touch  its driver puts a finger down (WebKit's give a touch stroke as a
 *   mouse's, when they take one at all)
 * @property {boolean} [display]  needs an X display
 * @property {Record<string, string>} [env]  for the driver and the browser it starts
 * @property {string} [why]  why `env` is set
 */

/** @type {Record<string, Engine>} */
export const ENGINES = {
  firefox: {
    name: 'Firefox ESR',
    driver: path.join(TOOLS, 'bin/geckodriver'),
    browser: '/usr/bin/firefox-esr',
    capabilities: (binary) => ({ browserName: 'firefox', 'moz:firefoxOptions': { binary, args: ['-headless'] } }),
    touch: true,
  },
  webkit: {
    name: 'WebKitGTK',
    driver: '/usr/bin/WebKitWebDriver',
    browser: '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser',
    capabilities: (binary) => ({ 'webkitgtk:browserOptions': { binary, args: ['--automation'] } }),
    touch: false,
    display: true,
    // Safari gives an isolated page SharedArrayBuffer; WebKitGTK's process launcher never turns
    // it on (only Cocoa's passes JSC the option), so the two-worker path is tested with it on.
    env: { JSC_useSharedArrayBuffer: '1' },
    why: 'SharedArrayBuffer on, as Safari has it on an isolated page',
  },
  wpe: {
    name: 'WPE WebKit',
    driver: '/usr/bin/WPEWebDriver',
    browser: '/usr/bin/cog',
    capabilities: (binary) => ({ 'wpe:browserOptions': { binary, args: ['--automation', '--platform=headless'] } }),
    touch: false,
  },
};

/** The engines installed here (scripts/setup.sh installs all three where apt can). */
export const installed = () => Object.keys(ENGINES).filter((k) => fs.existsSync(ENGINES[k].driver) && fs.existsSync(ENGINES[k].browser));

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A free loopback port. */
function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {net.AddressInfo} */ (s.address());
      s.close(() => resolve(port));
    });
  });
}

/** Starts Xvfb on a display it picks; resolves to {display, stop}. */
async function startXvfb() {
  const x = spawn('Xvfb', ['-displayfd', '1', '-screen', '0', '1280x1024x24', '-nolisten', 'tcp'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const display = await new Promise((resolve, reject) => {
    x.on('error', reject);
    x.on('exit', (code) => reject(new Error(`Xvfb exited with ${code}`)));
    x.stdout.once('data', (d) => resolve(`:${String(d).trim()}`));
  });
  return { display, stop: () => x.kill() };
}

/** A WebDriver session in one engine, with the calls the walk needs. */
export class Browser {
  /**
   * Starts the engine's driver and a session (a fresh profile).
   * @param {string} key  of ENGINES
   */
  static async start(key) {
    const engine = ENGINES[key];
    const xvfb = engine.display ? await startXvfb() : null;
    const port = await freePort();
    const env = { ...process.env, ...engine.env, ...(xvfb ? { DISPLAY: xvfb.display } : {}) };
    const driver = spawn(engine.driver, [`--port=${port}`], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    driver.stdout.on('data', (d) => { log = (log + d).slice(-4000); });
    driver.stderr.on('data', (d) => { log = (log + d).slice(-4000); });
    const base = `http://127.0.0.1:${port}`;
    for (let i = 0; ; i++) {
      if (await fetch(`${base}/status`).then((r) => r.ok, () => false)) break;
      if (i === 100) throw new Error(`${engine.driver} did not start: ${log}`);
      await sleep(100);
    }
    const b = new Browser(engine, base, driver, xvfb);
    const session = await b.call('POST', '/session', { capabilities: { alwaysMatch: engine.capabilities(engine.browser) } });
    b.session = `/session/${session.sessionId}`;
    b.version = session.capabilities.browserVersion;
    await b.call('POST', `${b.session}/timeouts`, { script: 300_000, pageLoad: 120_000 });
    return b;
  }

  constructor(engine, base, driver, xvfb) {
    this.engine = engine;
    this.base = base;
    this.driver = driver;
    this.xvfb = xvfb;
    this.session = '';
    this.version = '';
  }

  /** One command of the protocol; its value, or an Error with the driver's message. */
  async call(method, url, body) {
    const res = await fetch(this.base + url, {
      method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
    });
    const { value } = await res.json();
    if (!res.ok) throw new Error(`${this.engine.name}: ${method} ${url}: ${value?.error}: ${value?.message}`);
    return value;
  }

  async close() {
    await this.call('DELETE', this.session).catch(() => {});
    this.driver.kill();
    this.xvfb?.stop();
  }

  /** @param {string} url */
  go(url) {
    return this.call('POST', `${this.session}/url`, { url });
  }

  /**
   * Runs `fn(...args)` in the page; resolves to what it returns (awaited, when a promise).
   * @template T
   * @param {(...args: any[]) => T | Promise<T>} fn
   * @returns {Promise<T>}
   */
  run(fn, ...args) {
    const script = `const done = arguments[arguments.length - 1];
      const said = (err) => String(err) + (err && err.stack ? '\\n' + err.stack : '');
      Promise.resolve().then(() => (${fn}).apply(null, Array.prototype.slice.call(arguments, 0, -1)))
        .then((value) => done({ value }), (err) => done({ error: said(err) }));`;
    return this.call('POST', `${this.session}/execute/async`, { script, args }).then((r) => {
      if (r.error) throw new Error(`${this.engine.name}: in the page: ${r.error}`);
      return r.value;
    });
  }

  /**
   * Waits until `fn(...args)` holds in the page; fails with `what` after `timeout` ms.
   * @param {string} what
   * @param {(...args: any[]) => unknown} fn
   */
  async until(what, fn, args = [], timeout = 60_000) {
    const end = Date.now() + timeout;
    for (;;) {
      // A page that is navigating or reloading itself answers with an error meanwhile.
      if (await this.run(fn, ...args).catch(() => false)) return;
      if (Date.now() > end) throw new Error(`${this.engine.name}: waited ${timeout / 1000} s for ${what}`);
      await sleep(200);
    }
  }

  /** @param {string} css */
  async element(css) {
    const found = await this.call('POST', `${this.session}/element`, { using: 'css selector', value: css });
    return found[ELEMENT];
  }

  /**
   * Clicks the element `css` as a user does (scrolled into view first).
   * @param {string} css
   */
  async click(css) {
    await this.call('POST', `${this.session}/element/${await this.element(css)}/click`, {});
  }

  /**
   * Chooses `file` (a path) in the file input `css`.
   * @param {string} css
   * @param {string} file
   */
  async choose(css, file) {
    await this.call('POST', `${this.session}/element/${await this.element(css)}/value`, { text: file });
  }

  /**
   * A stroke through `points` (fractions of the element `css`'s width and height) with a
   * pointer of `kind` ('mouse' or 'touch'), `steps` moves between two points.
   * @param {string} css
   * @param {number[][]} points  [x, y] each
   * @param {'mouse' | 'touch'} kind
   */
  async stroke(css, points, kind, steps = 8) {
    const box = await this.run((c) => {
      const el = document.querySelector(c);
      el.scrollIntoView({ block: 'center' });
      const r = el.getBoundingClientRect();
      return { x: r.left, y: r.top, width: r.width, height: r.height };
    }, css);
    /** @param {number[]} p */
    const at = ([fx, fy]) => ({ x: Math.round(box.x + fx * box.width), y: Math.round(box.y + fy * box.height) });
    const moves = [];
    for (let i = 1; i < points.length; i++) {
      const [a, b] = [at(points[i - 1]), at(points[i])];
      for (let s = 1; s <= steps; s++) {
        moves.push({ type: 'pointerMove', duration: 10, origin: 'viewport',
          x: Math.round(a.x + ((b.x - a.x) * s) / steps), y: Math.round(a.y + ((b.y - a.y) * s) / steps) });
      }
    }
    const actions = [{ type: 'pointerMove', duration: 0, origin: 'viewport', ...at(points[0]) },
      { type: 'pointerDown', button: 0 }, ...moves, { type: 'pointerUp', button: 0 }];
    await this.call('POST', `${this.session}/actions`, {
      actions: [{ type: 'pointer', id: kind, parameters: { pointerType: kind }, actions }],
    });
    await this.call('DELETE', `${this.session}/actions`).catch(() => {});
  }
}
