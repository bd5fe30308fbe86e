// @ts-check
// What every end-to-end test needs: the project's own server on a free loopback port, and
// Debian's Chromium driven by playwright-core (never a downloaded browser).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import { before, after } from 'node:test';
import { once } from 'node:events';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const OUT = path.join(ROOT, 'tests/e2e/out');

/** Starts `cnn-playground serve` for `root` on an ephemeral port; resolves to { url, stop }. */
export async function startServer(root = path.join(ROOT, 'dist')) {
  const bin = path.join(ROOT, 'target/release/cnn-playground');
  const server = spawn(bin, ['serve', '--root', root, '--port', '0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let buffered = '';
  const url = await new Promise((resolve, reject) => {
    server.on('error', reject);
    server.on('exit', (code) => reject(new Error(`server exited with ${code}`)));
    server.stdout.on('data', (chunk) => {
      buffered += chunk;
      const m = buffered.match(/http:\/\/127\.0\.0\.1:\d+\//);
      if (m) resolve(m[0]);
    });
  });
  return {
    url,
    async stop() {
      server.kill('SIGINT');
      await once(server, 'exit');
    },
  };
}

const TYPES = {
  '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.webmanifest': 'application/manifest+json', '.gz': 'application/gzip',
};

/** A static server as the plainest hosts are: files, their types and lengths, nothing else. It
 * counts the bytes it sends, and while `cut` matches a path it drops the connection half-way
 * through that file. */
export function staticServer(root) {
  /** @type {http.Server & {paths: string[], sent: number, cut: RegExp | null}} */
  const server = /** @type {any} */ (http.createServer((req, res) => {
    server.paths.push(req.url);
    let file = path.join(root, decodeURIComponent(new URL(req.url, 'http://x').pathname));
    if (!file.startsWith(root)) return res.writeHead(403).end();
    if (fs.existsSync(file) && fs.statSync(file).isDirectory()) file = path.join(file, 'index.html');
    if (!fs.existsSync(file)) return res.writeHead(404).end();
    const body = fs.readFileSync(file);
    res.writeHead(200, { 'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream', 'Content-Length': body.length });
    if (server.cut?.test(req.url)) {
      server.sent += body.length / 2;
      res.write(body.subarray(0, body.length / 2), () => res.socket.destroy());
      return;
    }
    server.sent += body.length;
    res.end(body);
  }));
  server.sent = 0;
  server.cut = null;
  server.paths = [];
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/**
 * One server and one browser for all the tests of a file: registers the hooks that start and
 * stop them, and returns an object whose `server` and `browser` are set once they run.
 */
export function serverAndBrowser() {
  const env = {};
  before(async () => {
    fs.mkdirSync(OUT, { recursive: true });
    env.server = await startServer();
    env.browser = await launchBrowser();
  });
  after(async () => {
    await env.browser?.close();
    await env.server?.stop();
  });
  return env;
}

/**
 * Launches headless Chromium, with `flags` besides ours; `CHROMIUM` overrides the path. Its GPU
 * process is off unless `gpu`, which also turns WebGPU on: on this machine's GPU where Chromium
 * can use it (Vulkan), else on SwiftShader's software adapter.
 */
export function launchBrowser(flags = [], { gpu = false } = {}) {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless=new', '--no-sandbox', '--disable-dev-shm-usage', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      ...(gpu ? ['--enable-unsafe-webgpu', '--enable-features=Vulkan'] : ['--disable-gpu']), ...flags],
  });
}

/**
 * Opens the page and waits for the core to load. Fails the test on any page error, console
 * error, or request to another origin (nothing may leave the browser). `isolated: false` strips
 * the server's COOP/COEP headers and blocks service workers: a browser in which neither the host
 * nor the page's service worker can isolate the page.
 */
export async function openPage(browser, url, { viewport = { width: 1280, height: 900 }, isolated = true } = {}) {
  const context = await browser.newContext({ viewport, serviceWorkers: isolated ? 'allow' : 'block' });
  if (!isolated) {
    await context.route('**/*', async (route) => {
      const response = await route.fetch();
      const headers = { ...response.headers() };
      delete headers['cross-origin-opener-policy'];
      delete headers['cross-origin-embedder-policy'];
      await route.fulfill({ response, headers });
    });
  }
  const page = await context.newPage();
  const problems = [];
  const requests = []; // every URL the page and its workers asked for
  page.on('request', (r) => requests.push(r.url()));
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console error: ${m.text()}`); });
  const origin = new URL(url).origin;
  page.on('request', (r) => {
    const target = new URL(r.url());
    if (target.origin !== origin && target.protocol !== 'blob:' && target.protocol !== 'data:') {
      problems.push(`request to another origin: ${r.url()}`);
    }
  });
  await page.goto(url);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
  return { page, context, problems, requests };
}

/** RGBA pixels of a canvas, by data-testid (moved as base64: a JSON array of a megapixel is slow). */
export async function canvasPixels(page, testid) {
  const { width, height, base64 } = await page.evaluate((id) => {
    const c = /** @type {HTMLCanvasElement} */ (document.querySelector(`[data-testid="${id}"]`));
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let binary = '';
    for (let i = 0; i < d.length; i += 0x8000) binary += String.fromCharCode(...d.subarray(i, i + 0x8000));
    return { width: c.width, height: c.height, base64: btoa(binary) };
  }, testid);
  return { width, height, data: new Uint8Array(Buffer.from(base64, 'base64')) };
}
