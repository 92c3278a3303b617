// Parses the unified patch text of one file (`FileDiff.patch`) into hunks with line numbers
// taken from the hunk headers, and pairs removed/added lines for the side-by-side view.

export type DiffLineKind = 'context' | 'add' | 'del' | 'note';

export interface DiffLine {
  kind: DiffLineKind;
  text: string;
  /** Line number in the old file (context and deleted lines). */
  oldNo: number | null;
  /** Line number in the new file (context and added lines). */
  newNo: number | null;
}

export interface Hunk {
  header: string;
  /** The text after the second `@@` (often the enclosing function). */
  section: string;
  oldStart: number;
  newStart: number;
  lines: DiffLine[];
}

const HUNK = /^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@ ?(.*)$/;

/** Hunks of a unified diff; file headers (`diff --git`, `---`, `+++`, `index`) are skipped. */
export function parsePatch(patch: string): Hunk[] {
  const hunks: Hunk[] = [];
  let current: Hunk | null = null;
  let oldNo = 0;
  let newNo = 0;
  const lines = patch.split('\n');
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  for (const raw of lines) {
    const m = HUNK.exec(raw);
    if (m) {
      oldNo = Number(m[1]);
      newNo = Number(m[2]);
      current = { header: raw, section: m[3] ?? '', oldStart: oldNo, newStart: newNo, lines: [] };
      hunks.push(current);
      continue;
    }
    if (!current) continue;
    const sign = raw[0];
    const text = raw.slice(1);
    if (sign === '+') current.lines.push({ kind: 'add', text, oldNo: null, newNo: newNo++ });
    else if (sign === '-') current.lines.push({ kind: 'del', text, oldNo: oldNo++, newNo: null });
    else if (sign === '\\') current.lines.push({ kind: 'note', text: raw, oldNo: null, newNo: null });
    else current.lines.push({ kind: 'context', text, oldNo: oldNo++, newNo: newNo++ });
  }
  return hunks;
}

/** One row of the side-by-side view: the old line on the left, the new one on the right. */
export interface SplitRow {
  left: DiffLine | null;
  right: DiffLine | null;
}

/** Pairs each run of deleted lines with the run of added lines that follows it. */
export function splitRows(lines: DiffLine[]): SplitRow[] {
  const rows: SplitRow[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (line.kind === 'context' || line.kind === 'note') {
      rows.push({ left: line, right: line });
      i++;
      continue;
    }
    const dels: DiffLine[] = [];
    const adds: DiffLine[] = [];
    while (i < lines.length && lines[i].kind === 'del') dels.push(lines[i++]);
    while (i < lines.length && lines[i].kind === 'add') adds.push(lines[i++]);
    for (let k = 0; k < Math.max(dels.length, adds.length); k++) {
      rows.push({ left: dels[k] ?? null, right: adds[k] ?? null });
    }
  }
  return rows;
}
