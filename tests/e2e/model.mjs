// @ts-check
// What the tests that replace or measure the model share: an upload through the Save and load
// panel, and Evaluate in the Train panel.
import { count } from './digits.mjs';

/** Uploads `file` (a path, or {name, mimeType, buffer}) and returns the panel's status line. */
export async function upload(page, file) {
  await page.setInputFiles('[data-testid="model-upload"]', file);
  await page.waitForFunction(() => /Loaded|not loaded|empty/.test(document.querySelector('[data-testid="model-status"]').textContent));
  return page.textContent('[data-testid="model-status"]');
}

/** Clicks Evaluate and waits for its report; returns the train panel's count of correct images. */
export async function evaluate(page) {
  const before = await count(page, 'train', 'evaluations');
  await page.click('[data-testid="train-evaluate"]');
  await page.waitForFunction((n) => Number(document.getElementById('train').dataset.evaluations ?? 0) > n, before, { timeout: 60_000 });
  return Number(await page.getAttribute('#train', 'data-test-correct'));
}
