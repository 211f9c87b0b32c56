// What every benchmark reports, the same way: rows of [what, measured,
// beside it (the peer or ceiling it is compared with, and the ratio), its
// target], printed as a table and written to bench/out/rows/<name>.json for
// bench/readme.mjs, which writes bench/README.md from all of them.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const OUT = process.env.BENCH_OUT || path.resolve(path.dirname(fileURLToPath(import.meta.url)), 'out');

/**
 * Prints `rows` under `title` and saves them as `name`; exits 1 when
 * something could not be measured (`failures`).
 */
export function report(name, title, rows, failures = []) {
  const cells = rows.map((r) => [0, 1, 2, 3].map((i) => String(r[i] ?? '')));
  const widths = [0, 1, 2, 3].map((i) => Math.max(...cells.map((r) => r[i].length)));
  console.log(`\n${title}:`);
  for (const r of cells) console.log('  ' + r.map((c, i) => c.padEnd(widths[i])).join('   ').trimEnd());
  mkdirSync(path.join(OUT, 'rows'), { recursive: true });
  writeFileSync(path.join(OUT, 'rows', `${name}.json`), JSON.stringify({ title, rows: cells, failures }, null, 1));
  if (failures.length) {
    console.error('\nFAILED:\n  ' + failures.join('\n  '));
    process.exit(1);
  }
}
