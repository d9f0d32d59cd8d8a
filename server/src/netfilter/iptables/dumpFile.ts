/**
 * An iptables-save dump read from disk without holding its text, as the CLI reads one: a
 * 700k-rule dump is 111 MB of text, which the model does not need once read (rules read their
 * options again from their line). The file is read in blocks of whole lines, each parsed in one
 * grammar call and applied by the DumpReader of parseIptablesSave(): the same lines, nodes and
 * model as reading the file's text whole, except that a rule's line offset is a byte offset in
 * the file, from which it reads its line again.
 */
import { fileLines, LineReader, readLineBlocks } from '../../core/lineFile';
import type { Family } from '../../knowledge/xtables/types';
import { parseDumpLines } from './lineGrammar';
import type { IptablesRuleset } from './model';
import { DumpSource } from './rule';
import { detectBackendIn, detectFamily, DumpReader } from './ruleset';

/** Rules' lines, read again from the file by their byte offset. */
class FileSource extends DumpSource {
  readonly #lines: LineReader;

  constructor(path: string, family: Family) {
    super(family);
    this.#lines = new LineReader(path);
  }

  lineText(start: number): string {
    return this.#lines.lineAt(start).text;
  }
}

export interface FileParseOptions {
  /** Overrides the family read from the header or the addresses. */
  family?: Family;
  /** About how much of the file is read and parsed at a time (tests make it small). */
  blockBytes?: number;
}

/** Reads the dump at `path`; I/O errors are thrown as Node reports them (with a `code`). */
export function parseIptablesSaveFile(path: string, options: FileParseOptions = {}): IptablesRuleset {
  const reader = new DumpReader(new FileSource(path, options.family ?? detectFamily(() => fileLines(path))));
  let line = 0;
  readLineBlocks(path, (text, byteOffset, bytes) => {
    let k = 0;
    parseDumpLines(text, (node, start, end) => {
      if (bytes) reader.read(node, bytes.starts[k], bytes.ends[k++], line++);
      else reader.read(node, byteOffset + start, byteOffset + end, line++);
    });
  }, options.blockBytes);
  const ruleset = reader.finish();
  const backend = detectBackendIn(fileLines(path));
  if (backend) ruleset.backend = backend;
  return ruleset;
}
