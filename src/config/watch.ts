// `mooring start --watch`: reload when the config file changes. Editors save either in place or by
// renaming a new file over the old one (which a watch on the file itself would lose), so the folder
// is watched, events are let settle, and only a change of content counts.
import { createHash } from 'node:crypto';
import { readFileSync, statSync, watch } from 'node:fs';
import { basename, dirname } from 'node:path';
import { MAX_CONFIG_BYTES } from './load.ts';

/** Saves come as bursts of events (truncate, write, rename): act once they stop. */
export const SETTLE_MS = 300;

/** What the file holds now; a file that is too large or not a file counts by its size and time (the reload refuses it with a clear error). */
function fingerprint(file: string): string | undefined {
  try {
    const stat = statSync(file);
    if (!stat.isFile() || stat.size > MAX_CONFIG_BYTES) return `${stat.size}:${stat.mtimeMs}`;
    return createHash('sha256').update(readFileSync(file)).digest('hex');
  } catch {
    return undefined; // missing for a moment mid-save
  }
}

/** Calls `onChange` after each change of the file's content; returns the function that stops watching. */
export function watchConfigFile(file: string, onChange: () => void): () => void {
  let last = fingerprint(file);
  let timer: NodeJS.Timeout | undefined;
  const watcher = watch(dirname(file), (_event, name) => {
    if (name !== null && name !== basename(file)) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      const now = fingerprint(file);
      if (now === undefined || now === last) return;
      last = now;
      onChange();
    }, SETTLE_MS);
  });
  return () => {
    clearTimeout(timer);
    watcher.close();
  };
}
