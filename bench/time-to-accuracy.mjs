// @ts-check
// Time to accuracy in the page, as a user meets it: opens the built site (dist/) in headless
// Chromium with a fresh profile, picks a recipe, presses Start and times the test accuracy the
// page shows until it reaches the target. The page measures the test set after each epoch, so a
// crossing is timed at the end of the epoch that made it (an upper bound, the wait a user has);
// the clock runs from the press, the MNIST download and the test measurements included. Run i
// (from 0) uses seed i: the runs sample the recipe, not one run three times.
// A benchmark, not a test: it prints each run and the median, and asserts nothing.
//
//   node bench/time-to-accuracy.mjs [--runs 3] [--threads 2] [RECIPE:TARGET[@DATASET] …]
// Default: fast:99.0 tutorial:98.8 (the targets of issue #15), on MNIST unless a built-in
// dataset's key follows (tutorial:90@fashion-mnist). scripts/time-to-accuracy.sh
// builds what it needs first.
import os from 'node:os';
import { launchBrowser, openPage, startServer } from '../tests/e2e/harness.mjs';

const USAGE = 'usage: node bench/time-to-accuracy.mjs [--runs 3] [--threads 2] [RECIPE:TARGET%[@DATASET] …]';

function parseArgs(argv) {
  /** @type {{runs: number, threads: number, goals: {recipe: string, target: number, data: string}[]}} */
  const options = { runs: 3, threads: 2, goals: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--runs' || arg === '--threads') {
      const n = Number(argv[++i]);
      if (!Number.isInteger(n) || n < 1) throw new Error(`${arg} needs a whole number ≥ 1\n${USAGE}`);
      options[arg.slice(2)] = n;
    } else {
      const m = arg.match(/^([a-z_]+):(\d+(?:\.\d+)?)(?:@([a-z0-9-]+))?$/);
      if (!m) throw new Error(`cannot read '${arg}'\n${USAGE}`);
      options.goals.push({ recipe: m[1], target: Number(m[2]) / 100, data: m[3] ?? 'mnist' });
    }
  }
  if (!options.goals.length) options.goals = [{ recipe: 'fast', target: 0.99, data: 'mnist' }, { recipe: 'tutorial', target: 0.988, data: 'mnist' }];
  return options;
}

const progress = (message) => process.stderr.write(`${message}\n`);
const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;
const percent = (a) => `${(100 * a).toFixed(2)}%`;
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** One run: the epochs' test scores with the time each was shown, until the target or the end. */
async function run(browser, url, { recipe, target, data }, threads, seed) {
  const { page, problems, context } = await openPage(browser, `${url}#recipe=${recipe}&threads=${threads}&seed=${seed}&data=${data}`);
  try {
    const started = Date.now();
    await page.click('[data-testid="train-start"]');
    const epochs = [];
    for (;;) {
      const s = await page.evaluate(() => {
        const p = /** @type {any} the panel, with its charts */ (document.getElementById('train'));
        return {
          state: p.dataset.state, tests: p.charts.accuracy.series[1].points,
          status: document.querySelector('[data-testid="train-status"]').textContent,
          rate: document.querySelector('[data-testid="train-progress-text"]').textContent,
        };
      });
      const now = Date.now() - started;
      for (const [epoch, accuracy] of s.tests.slice(epochs.length)) {
        epochs.push({ epoch, accuracy, seconds: now / 1000 });
        progress(`  ${recipe}: epoch ${epoch}, test accuracy ${percent(accuracy)} at ${seconds(now)} (${s.rate})`);
      }
      const crossed = epochs.find((e) => e.accuracy >= target);
      if (crossed || s.state === 'done') {
        if (s.state === 'training') await page.click('[data-testid="train-stop"]');
        return { epochs, crossed: crossed ?? null };
      }
      if (/error|diverged/i.test(s.status) && s.state !== 'training') throw new Error(s.status);
      if (problems.length) throw new Error(problems.join('\n'));
      await page.waitForTimeout(100);
    }
  } finally {
    await context.close();
  }
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const server = await startServer();
  const browser = await launchBrowser();
  const results = [];
  try {
    for (const goal of options.goals) {
      const runs = [];
      for (let seed = 0; seed < options.runs; seed++) {
        progress(`${goal.recipe} to ${percent(goal.target)} on ${goal.data}, seed ${seed} (run ${seed + 1} of ${options.runs})`);
        runs.push({ seed, ...(await run(browser, server.url, goal, options.threads, seed)) });
      }
      results.push({ ...goal, runs });
    }
  } finally {
    await browser.close();
    await server.stop();
  }
  console.log(`Time to accuracy in Chromium ${browser.version()}, ${os.availableParallelism()} CPUs, ${options.threads} training worker(s); ` +
    'from pressing Start to the test accuracy shown after the epoch that reached the target.');
  for (const { recipe, target, data, runs } of results) {
    const times = runs.map((r) => r.crossed?.seconds ?? Infinity);
    const each = runs.map((r) => `seed ${r.seed}: ${r.crossed
      ? `${r.crossed.seconds.toFixed(1)} s (epoch ${r.crossed.epoch}, ${percent(r.crossed.accuracy)})`
      : `not reached (best ${percent(Math.max(...r.epochs.map((e) => e.accuracy)))} in ${r.epochs.length} epochs, ${r.epochs.at(-1)?.seconds.toFixed(1)} s)`}`);
    const m = median(times);
    console.log(`  ${recipe} to ${percent(target)} on ${data}: median ${Number.isFinite(m) ? `${m.toFixed(1)} s` : 'not reached'}; runs: ${each.join(', ')}`);
  }
}

main().catch((err) => {
  process.stderr.write(`error: ${err.message}\n`);
  process.exit(1);
});
