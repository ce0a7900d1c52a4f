import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

/** The installed package's directory (holds `sql/`), found from this file whether bundled in dist/ or run from src/. */
export function packageRoot(): string {
  if (root) return root;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg) && fs.existsSync(path.join(dir, 'sql'))) return (root = dir);
    const up = path.dirname(dir);
    if (up === dir) throw new Error('cannot find the urdb package directory (package.json next to sql/)');
    dir = up;
  }
}

/** The schema version this urdb expects: the number of the last migration file (cheap: names only, for --version). */
export function expectedSchemaVersion(): number {
  let schema = 0;
  for (const file of fs.readdirSync(sqlPath('migrations'))) {
    const m = /^(\d{4})_[a-z0-9_]+\.sql$/.exec(file);
    if (m) schema = Math.max(schema, Number(m[1]));
  }
  return schema;
}

export function sqlPath(...parts: string[]): string {
  return path.join(packageRoot(), 'sql', ...parts);
}
