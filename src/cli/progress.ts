/**
 * A progress bar on stderr, only when stderr is a terminal; a no-op otherwise. It shows the step that runs from the
 * moment it starts: a bar with counts when the step counts (`checking rows 12000/40000`), the label alone when it
 * does not (`parsing units.csv…`). A new step is drawn at once; progress within a step at most every 80 ms.
 */
export interface Progress {
  /** total 0: a step without counts. */
  update(label: string, done: number, total: number): void;
  finish(): void;
}

export function progressBar(enabled: boolean, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!enabled || !stream.isTTY) return { update() {}, finish() {} };
  let last = 0;
  let lastLabel = '';
  let shown = false;
  return {
    update(label, done, total) {
      const now = Date.now();
      if (label === lastLabel && now - last < 80 && done < total) return;
      last = now;
      lastLabel = label;
      let line = `${label}…`;
      if (total > 0) {
        const width = 30;
        const ratio = Math.min(1, done / total);
        const filled = Math.round(ratio * width);
        line = `${'█'.repeat(filled)}${'░'.repeat(width - filled)} ${String(Math.round(ratio * 100)).padStart(3)}% ${label} ${done}/${total}`;
      }
      stream.write(`\r\x1b[2K${line}`);
      shown = true;
    },
    finish() {
      if (shown) stream.write('\r\x1b[2K');
      shown = false;
      lastLabel = '';
    },
  };
}
