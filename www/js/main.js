// The page's entry point: loads the Rust core, then wires up each panel.
import { loadCore } from './core.js';
import { setupFilters } from './panels/filters.js';

const status = document.querySelector('[data-testid="core-status"]');

try {
  const core = await loadCore();
  status.textContent = 'Rust core loaded (WebAssembly).';
  await setupFilters(document.getElementById('filters'), core);
  document.body.dataset.ready = 'true';
} catch (err) {
  status.textContent = `The Rust core could not start: ${err.message ?? err}`;
  status.classList.add('error');
  throw err;
}
