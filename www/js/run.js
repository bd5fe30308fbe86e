// @ts-check
// A training run as the worker holds it, in one place: its state, its settings and the loop that
// trains. The state moves only through `moveTo`, which allows the moves written down in
// protocol.js (RUN_STATES) and tells the page of each.
import { RUN_STATES } from './protocol.js';
/** @import { RunState, Settings } from './protocol.js' */

export class Run {
  /**
   * `onState(state)` hears every move.
   * @param {(state: RunState) => void} onState
   */
  constructor(onState) {
    this.onState = onState;
    /** @type {RunState} */
    this.state = 'idle';
    this.epochs = 5; // of the current run
    this.config = null; // its training config (null: the core's default, the tutorial's)
    this.threads = 2; // workers wanted
    this.loop = 0; // counts training loops started: one that is no longer the latest ends
    this.looping = Promise.resolve(); // the loop that runs, if any: Stop waits for it
  }

  /**
   * Takes a run's settings: its length, training config and workers.
   * @param {Settings} settings
   */
  apply(settings) {
    this.epochs = settings.epochs ?? 5;
    this.config = settings.config ?? null;
    this.threads = settings.threads ?? 2;
  }

  /**
   * Moves to `next`, and says so; a move RUN_STATES does not allow is a bug, and throws.
   * @param {RunState} next
   */
  moveTo(next) {
    if (next !== this.state && !RUN_STATES[this.state].includes(next)) {
      throw new Error(`a run cannot go from '${this.state}' to '${next}'`);
    }
    this.state = next;
    this.onState(next);
  }

  /** Ends the training loop, if one runs: it returns at its next look, posting nothing more. */
  end() {
    this.loop++;
  }

  /**
   * Moves to 'training' and runs `body(training, latest)` as the run's loop: `latest()` holds
   * while no newer loop has started (nor the run ended), `training()` while, besides, the run
   * is still training (not paused or stopping).
   */
  train(body) {
    const loop = ++this.loop;
    this.moveTo('training');
    const latest = () => loop === this.loop;
    this.looping = body(() => latest() && this.state === 'training', latest);
  }
}
