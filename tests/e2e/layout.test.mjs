// @ts-check
// The whole page on a 390-px phone: no control is cut off and nothing scrolls sideways, in every
// panel and in the views that appear later (the architecture editor, a test report).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { serverAndBrowser, openPage, OUT } from './harness.mjs';

const env = serverAndBrowser();
const WIDTH = 390;

/**
 * Every visible control whose box leaves the screen. One inside a box that scrolls sideways (a
 * wide table, a grid of feature maps) is reached by scrolling that box: then the box must fit.
 */
const cutOff = (page) => page.evaluate((width) => {
  const scrolls = (el) => ['auto', 'scroll'].includes(getComputedStyle(el).overflowX);
  const measure = document.createElement('canvas').getContext('2d');
  const ARROW = 20; // the menu's drop-down arrow
  const found = [];
  for (const el of /** @type {NodeListOf<HTMLElement & Partial<HTMLSelectElement>>} */ (document.querySelectorAll('button, select, input, label.button, summary, canvas, table, [role="button"]'))) {
    if (el.closest('dialog:not([open])') || el.classList.contains('visually-hidden')) continue;
    if (el.getBoundingClientRect().width === 0) continue; // not shown
    /** @type {HTMLElement} */
    let box = el;
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) if (scrolls(up)) box = up;
    const r = box.getBoundingClientRect();
    const id = el.dataset.testid ?? el.getAttribute('aria-label') ?? el.textContent.trim().slice(0, 30);
    if (r.left < -0.5 || r.right > width + 0.5) {
      found.push(`${el.tagName.toLowerCase()} "${id}": ${Math.round(r.left)}–${Math.round(r.right)}px`);
    }
    // A menu cut short shows only the start of its choice.
    if (el.tagName === 'SELECT' && el.selectedIndex >= 0) {
      const style = getComputedStyle(el);
      measure.font = style.font;
      const text = measure.measureText(el.options[el.selectedIndex].text).width;
      const room = el.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight) - ARROW;
      if (text > room) found.push(`select "${id}" shows ${Math.round(room)} of its ${Math.round(text)}px choice`);
    }
  }
  return found;
}, WIDTH);

const sideways = (page) => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);

test(`on a ${WIDTH}-px phone no control of any panel is cut off and the page never scrolls sideways`, async () => {
  const { page, context, problems } = await openPage(env.browser, env.server.url, { viewport: { width: WIDTH, height: 844 } });
  await page.waitForFunction(() => Number(document.getElementById('layers').dataset.renders) >= 1, null, { timeout: 60_000 });
  await page.click('[data-testid="arch"] summary');
  for (const name of ['anim1', 'anim2', 'anim3']) {
    await page.selectOption('[data-testid="explainer-case"]', name);
    assert.deepEqual(await cutOff(page), [], `with the explainer on ${name}`);
  }
  for (const recipe of ['improved', 'custom', 'tutorial']) {
    await page.selectOption('[data-testid="train-recipe"]', recipe);
    assert.deepEqual(await cutOff(page), [], `with the ${recipe} recipe`);
  }
  // A test report: the confusion matrix, per-digit bars and misclassified digits.
  await page.click('[data-testid="train-evaluate"]');
  await page.waitForFunction(() => Number(document.getElementById('train').dataset.evaluations ?? 0) >= 1, null, { timeout: 60_000 });
  await page.waitForSelector('[data-testid="misclassified"] canvas');
  assert.deepEqual(await cutOff(page), []);
  assert.ok((await sideways(page)) <= 0, `the page scrolls sideways by ${await sideways(page)}px`);
  // Captions get the width to be read in: the saliency map's was squeezed into 150 px.
  const caption = await page.locator('[data-testid="saliency"] + p').boundingBox();
  assert.ok(caption.width >= 200, `the saliency caption is ${caption.width}px wide`);
  for (const id of ['explainer', 'train']) await page.locator(`#${id}`).screenshot({ path: path.join(OUT, `${id}-phone.png`) });
  assert.deepEqual(problems, []);
  await context.close();
});
