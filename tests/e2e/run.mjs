// Runs the browser tests two files at a time, the longest first. (`node --test` sorts its files
// by name, and the longest came last: one ran alone for its last minute, one core idle.)
import fs from 'node:fs';
import path from 'node:path';
import { run } from 'node:test';
import { spec } from 'node:test/reporters';

// The longest files by their test time in one run (2 cores, AMD EPYC, 2026-12-07), longest
// first; the others follow by name.
const LONGEST = ['train', 'page', 'tour', 'share', 'inside'];
const dir = import.meta.dirname;
const all = fs.readdirSync(dir).filter((f) => f.endsWith('.test.mjs')).sort();
const rank = (f) => { const i = LONGEST.indexOf(f.replace('.test.mjs', '')); return i < 0 ? LONGEST.length : i; };
const files = all.sort((a, b) => rank(a) - rank(b)).map((f) => path.join(dir, f));

const stream = run({ files, concurrency: 2 });
stream.on('test:fail', () => { process.exitCode = 1; });
stream.compose(spec).pipe(process.stdout);
