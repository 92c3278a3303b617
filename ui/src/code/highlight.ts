// Syntax highlighting of diff text with the same Lezer parsers the editor uses. Tokens carry
// `tok-*` classes (classHighlighter) coloured by the theme's CSS, so light and dark both work.
import { classHighlighter, highlightCode } from '@lezer/highlight';
import { languageOf, loadLanguage } from './languages';

export interface Token {
  text: string;
  cls: string;
}

/** Tokens per line of `text`, or `null` when the path has no known language. */
export async function highlightLines(path: string, text: string): Promise<Token[][] | null> {
  const id = languageOf(path);
  if (!id) return null;
  const support = await loadLanguage(id);
  const tree = support.language.parser.parse(text);
  const lines: Token[][] = [[]];
  highlightCode(
    text,
    tree,
    classHighlighter,
    (chunk, classes) => lines[lines.length - 1].push({ text: chunk, cls: classes }),
    () => lines.push([]),
  );
  return lines;
}
