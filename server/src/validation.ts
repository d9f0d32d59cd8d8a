/**
 * When to analyse while the user types: at once when a document opens, then once typing pauses
 * (debounce), and never to publish results of a version that an edit has since replaced.
 * Transport-free so that tests can drive it with plain callbacks.
 */

/** Runs a document's validation at once the first time, then `delayMs` after its last change. */
export class Debouncer {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly seen = new Set<string>();

  constructor(
    private readonly delayMs: number,
    private readonly run: (key: string) => void,
  ) {}

  changed(key: string): void {
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
    if (!this.seen.has(key)) {
      this.seen.add(key);
      this.run(key);
      return;
    }
    this.timers.set(key, setTimeout(() => {
      this.timers.delete(key);
      this.run(key);
    }, this.delayMs));
  }

  /** Forgets `key` (a closed document): its next change counts as an open. */
  forget(key: string): void {
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
    this.seen.delete(key);
  }
}

export { turn } from './core/turn';
import { turn } from './core/turn';

/**
 * A counter that every edit and every new validation bumps: a validation started at one value
 * is stale as soon as it changes, and stops before publishing anything.
 */
export class Generations {
  private current = 0;

  /** A newer edit or validation exists from now on. */
  bump(): number {
    return ++this.current;
  }

  /**
   * Runs `steps` (the parses a validation needs) with a turn of the event loop before and after
   * each, then `publish`, unless a bump happened meanwhile. True when it published.
   */
  async run(steps: readonly (() => void)[], publish: () => void): Promise<boolean> {
    const mine = this.bump();
    for (const step of steps) {
      await turn();
      if (mine !== this.current) return false;
      step();
      await turn();
      if (mine !== this.current) return false;
    }
    publish();
    return true;
  }
}
