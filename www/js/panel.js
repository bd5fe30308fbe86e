// @ts-check
// What every panel sets up the same way: its elements by test id, its status line, and files
// chosen with a file input or dropped on the panel.

/** A lookup of `root`'s elements by their `data-testid`. */
export const byTestId = (root) => (id) => root.querySelector(`[data-testid="${id}"]`);

/** A status line: `say(message, kind)` shows the message, styled by its kind ('', 'ok', 'error'). */
export function statusLine(el) {
  return (message, kind = '') => {
    el.textContent = message;
    el.className = `status ${kind}`;
  };
}

/** Calls `onFile(file)` for a file chosen with `input` or dropped anywhere on `panel`. */
export function acceptFiles(panel, input, onFile) {
  input.addEventListener('change', () => {
    if (input.files[0]) onFile(input.files[0]);
    input.value = ''; // the same file chosen again is a new choice
  });
  panel.addEventListener('dragover', (e) => {
    e.preventDefault();
    panel.classList.add('dragging');
  });
  panel.addEventListener('dragleave', () => panel.classList.remove('dragging'));
  panel.addEventListener('drop', (e) => {
    e.preventDefault();
    panel.classList.remove('dragging');
    if (e.dataTransfer.files[0]) onFile(e.dataTransfer.files[0]);
  });
}
