/**
 * A full garbage collection on demand, for the moments the server knows it has just dropped far
 * more than V8 expects: a document of tens of MB arrives as a JSON-RPC message whose bytes and
 * JSON text are garbage once the document's text is parsed out of them (wholeMessages.ts), or an
 * edit lets the previous version's text and model go; V8 would collect them only after the model
 * built next had piled on top. Node exposes gc() only under --expose-gc; setting the flag at run
 * time and taking gc from a fresh context is how test runners get it too (the flag is read when a
 * context is created).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let gc: (() => void) | null | undefined;

function collector(): (() => void) | null {
  if (gc === undefined) {
    const exposed = (globalThis as { gc?: () => void }).gc;
    if (exposed) gc = exposed;
    else {
      try {
        setFlagsFromString('--expose-gc');
        const fn = runInNewContext('gc') as unknown;
        gc = typeof fn === 'function' ? (fn as () => void) : null;
      } catch {
        gc = null;
      }
    }
  }
  return gc;
}

/** Documents this large (in UTF-16 units) are worth a collection before and after their parse. */
export const BIG_DOCUMENT = 8_000_000;

/** Collects garbage now; false when this Node cannot. */
export function collectGarbage(): boolean {
  const fn = collector();
  fn?.();
  return fn !== null;
}
