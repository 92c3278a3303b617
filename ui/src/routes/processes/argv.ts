// A small quote-aware splitter: a command line as the user types it → an argv array. It never
// runs a shell: quotes only group words. Rules (a subset of POSIX sh):
//   - whitespace separates words;
//   - '…' keeps everything literally;
//   - "…" keeps everything, with \" \\ \$ \` as escapes;
//   - outside quotes, \x is a literal x.

export interface SplitResult {
  argv: string[];
  /** Why the line cannot be split (an unclosed quote or a trailing backslash). */
  error: string | null;
}

export function splitCommandLine(line: string): SplitResult {
  const argv: string[] = [];
  let word = '';
  let inWord = false;
  let i = 0;
  while (i < line.length) {
    const c = line[i];
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) return { argv, error: 'unclosed single quote' };
      word += line.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (c === '"') {
      i++;
      let closed = false;
      while (i < line.length) {
        const d = line[i];
        if (d === '"') {
          closed = true;
          i++;
          break;
        }
        if (d === '\\' && i + 1 < line.length && '"\\$`'.includes(line[i + 1])) {
          word += line[i + 1];
          i += 2;
          continue;
        }
        word += d;
        i++;
      }
      if (!closed) return { argv, error: 'unclosed double quote' };
      inWord = true;
    } else if (c === '\\') {
      if (i + 1 >= line.length) return { argv, error: 'trailing backslash' };
      word += line[i + 1];
      inWord = true;
      i += 2;
    } else if (/\s/.test(c)) {
      if (inWord) argv.push(word);
      word = '';
      inWord = false;
      i++;
    } else {
      word += c;
      inWord = true;
      i++;
    }
  }
  if (inWord) argv.push(word);
  return { argv, error: null };
}

/** Shell operators that only mean something to a shell: a hint to pick "run in bash". */
export function looksLikeShell(line: string): boolean {
  return /(^|\s)(\||&&|\|\||;|>|>>|<)(\s|$)|\$\(|`/.test(line);
}
