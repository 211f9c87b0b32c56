// Writes bench/README.md from the rows the benchmarks just saved
// (bench/out/rows/*.json, see rows.mjs): when, at which commit, on which
// machine, and each figure beside its peer or ceiling and its target.
// Run by scripts/bench after the benchmarks; nothing else writes that file.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OUT = process.env.BENCH_OUT || path.join(ROOT, 'bench/out');
const ORDER = ['open', 'verify', 'pack', 'archive', 'pull', 'disk'];

const run = (cmd, args) => {
  try {
    return execFileSync(cmd, args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
};
const commit = run('git', ['rev-parse', '--short=12', 'HEAD']);
const dirty = run('git', ['status', '--porcelain', '--untracked-files=no']) ? ' (with uncommitted changes)' : '';
const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
const machine = [
  `${cpu}, ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB`,
  `${os.type()} ${os.release()}`,
  run('/usr/bin/chromium', ['--version']),
  run('rustc', ['--version']),
  `Node ${process.version}`,
].join('; ');
const cell = (text) => String(text).replace(/\|/g, '\\|');

let md = `# Benchmark figures

Written by \`scripts/bench\` (${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, commit
\`${commit}\`${dirty}) on: ${machine}.

Each row shows the figure, what it is measured beside in the same run (a
peer tool, or the browser's own ceiling for the same bytes through the same
API) and its target. Figures vary from run to run on a shared machine: run
\`scripts/bench\` again before quoting one. How each is measured: the
header comment of its script in \`bench/\`.
`;
for (const name of ORDER) {
  const file = path.join(OUT, 'rows', `${name}.json`);
  if (!existsSync(file)) {
    md += `\n## ${name}\n\nNot measured in this run.\n`;
    continue;
  }
  const { title, rows, failures } = JSON.parse(readFileSync(file, 'utf8'));
  md += `\n## ${title}\n\n| what | measured | beside it | target |\n|---|---|---|---|\n`;
  for (const [what, measured, beside, target] of rows) md += `| ${cell(what)} | ${cell(measured)} | ${cell(beside)} | ${cell(target)} |\n`;
  if (failures?.length) md += `\nCould not be measured: ${failures.map(cell).join('; ')}\n`;
}
writeFileSync(path.join(ROOT, 'bench/README.md'), md);
console.log(`\nwrote bench/README.md (commit ${commit}${dirty})`);
