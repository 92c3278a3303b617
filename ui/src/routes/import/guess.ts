import type { CsvMapping, ImportFormat } from '../../gen/bindings';

export const FORMATS: readonly { value: ImportFormat; label: string; hint: string }[] = [
  { value: 'markdown', label: 'Markdown task list', hint: 'Headings become features, “- [ ]” items become goals, indented text their prompt.' },
  { value: 'csv', label: 'CSV', hint: 'A header row; you choose which column is what.' },
  { value: 'github', label: 'GitHub issues (JSON)', hint: 'gh issue list --json number,title,body,labels,state,url' },
  { value: 'jira', label: 'Jira CSV export', hint: 'Issue key, Summary, Description, Priority, Status, Labels…' },
  { value: 'refine', label: 'Refine JSON export', hint: 'A lossless export from Refine (this or another machine).' },
];

function extension(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot >= 0 ? name.slice(dot + 1).toLowerCase() : '';
}

function guessCsv(firstLine: string): ImportFormat {
  const header = parseCsvHeader(firstLine).map((h) => h.toLowerCase());
  return header.includes('issue key') || (header.includes('summary') && header.includes('issue type')) ? 'jira' : 'csv';
}

function guessJson(text: string): ImportFormat {
  try {
    const value: unknown = JSON.parse(text);
    if (value && typeof value === 'object' && !Array.isArray(value) && (value as { format?: unknown }).format === 'refine-work') return 'refine';
  } catch {
    // Not JSON after all: let the daemon say why.
  }
  return text.trimStart().startsWith('{') ? 'refine' : 'github';
}

/** The likely format of a file or pasted text: from the file's extension, else its content. */
export function guessFormat(text: string, filename?: string): ImportFormat {
  const firstLine = text.split(/\r?\n/).find((l) => l.trim()) ?? '';
  const ext = filename ? extension(filename) : '';
  if (ext === 'md' || ext === 'markdown' || ext === 'txt') return 'markdown';
  if (ext === 'json') return guessJson(text);
  if (ext === 'csv' || ext === 'tsv') return guessCsv(firstLine);
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) return guessJson(text);
  if (/^\s*[-*+] \[[ xX]\]/m.test(text) || /^#{1,6}\s/m.test(text)) return 'markdown';
  if (firstLine.includes(',')) return guessCsv(firstLine);
  return 'markdown';
}

/** The fields of the header row (quotes and doubled quotes understood). */
export function parseCsvHeader(line: string): string[] {
  const out: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c === '"') {
      quoted = true;
    } else if (c === ',') {
      out.push(field.trim());
      field = '';
    } else {
      field += c;
    }
  }
  out.push(field.trim());
  return out.filter((h, i) => h || i < out.length - 1);
}

export const MAPPING_FIELDS: readonly { key: keyof CsvMapping; label: string; guesses: string[]; required?: boolean }[] = [
  { key: 'title', label: 'Title', guesses: ['title', 'summary', 'name', 'goal'], required: true },
  { key: 'prompt', label: 'Prompt', guesses: ['prompt', 'description', 'body', 'details'] },
  { key: 'notes', label: 'Notes', guesses: ['notes', 'comment', 'comments'] },
  { key: 'labels', label: 'Labels', guesses: ['labels', 'tags', 'label'] },
  { key: 'priority', label: 'Priority', guesses: ['priority'] },
  { key: 'status', label: 'Status', guesses: ['status', 'state'] },
  { key: 'feature', label: 'Feature', guesses: ['feature', 'epic', 'group', 'milestone'] },
  { key: 'externalId', label: 'Stable id', guesses: ['id', 'key', 'issue key', 'external id'] },
  { key: 'assignee', label: 'Assignee', guesses: ['assignee', 'owner'] },
];

/** A first mapping from the header names (the same names the daemon would guess). */
export function guessMapping(headers: string[]): CsvMapping {
  const find = (names: string[]) => headers.find((h) => names.includes(h.trim().toLowerCase())) ?? null;
  const mapping: CsvMapping = { title: find(MAPPING_FIELDS[0].guesses) ?? headers[0] ?? '' };
  for (const f of MAPPING_FIELDS.slice(1)) {
    const hit = find(f.guesses);
    if (hit) (mapping as Record<string, string | null | undefined>)[f.key] = hit;
  }
  return mapping;
}
