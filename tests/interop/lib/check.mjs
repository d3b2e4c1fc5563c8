// Reads files with one reader and compares them with their expected-values JSON.

import { join } from 'node:path';
import { compareFile, loadJson } from './canon.mjs';
import { READERS } from './readers.mjs';

// Checks `<dir>/<name>.expected.json` against the file it names, for every name. Prints each
// mismatch through `log`; returns the names of the files that did not match.
export async function checkFiles(readerName, dir, names, { log = console.log, expectedFor } = {}) {
  const read = await READERS[readerName]();
  const failed = [];
  for (const name of names) {
    const expected = expectedFor ? expectedFor(name) : loadJson(join(dir, `${name}.expected.json`));
    const path = expected.path ?? join(dir, expected.file);
    let lines;
    try {
      const { columns, problems } = await read(path, expected);
      lines = problems.map(p => `${readerName}: ${expected.file}: ${p}`);
      lines.push(...compareFile(expected, columns, readerName));
    } catch (e) {
      lines = [`${readerName}: ${expected.file}: the reader failed: ${e?.stack ?? e}`];
    }
    if (lines.length) {
      failed.push(name);
      for (const l of lines) log(l);
    }
  }
  return failed;
}
