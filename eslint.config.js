// ESLint's recommended rules on every JavaScript file we write (scripts/test.sh), each folder
// with the globals of where it runs. The types are tsc's (tsconfig*.json).
import js from '@eslint/js';
import globals from 'globals';

export default [
  { ignores: ['dist/', 'target/', 'fuzz/', 'www/pkg*/', 'www/data/', 'tests/e2e/out/'] },
  js.configs.recommended,
  // `const { label, ...values } = o` leaves `label` out of `values` on purpose.
  { rules: { 'no-unused-vars': ['error', { ignoreRestSiblings: true }] } },
  // The page's modules, some of them shared with its workers.
  { files: ['www/js/**/*.js'], languageOptions: { globals: globals.browser } },
  { files: ['www/js/worker.js', 'www/js/replica.js'], languageOptions: { globals: globals.worker } },
  { files: ['www/sw.js'], languageOptions: { sourceType: 'script', globals: globals.serviceworker } },
  // The benchmark's page and worker.
  { files: ['bench/*.js'], languageOptions: { globals: { ...globals.browser, ...globals.worker } } },
  // Node scripts, whose `page.evaluate` callbacks run in the browser.
  {
    files: ['tests/e2e/*.mjs', 'tests/engines/*.mjs', 'bench/*.mjs', 'scripts/*.mjs', 'eslint.config.js'],
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
  },
];
