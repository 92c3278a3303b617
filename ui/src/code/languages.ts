// Which language a file is, by its name, and the CodeMirror language support for it. The language
// packages are loaded on demand (their own chunk) by the editor and the diff highlighter.
import type { LanguageSupport } from '@codemirror/language';

export type LanguageId = 'javascript' | 'typescript' | 'jsx' | 'tsx' | 'rust' | 'python' | 'json' | 'markdown' | 'css' | 'html';

const BY_EXTENSION: Record<string, LanguageId> = {
  js: 'javascript',
  mjs: 'javascript',
  cjs: 'javascript',
  jsx: 'jsx',
  ts: 'typescript',
  mts: 'typescript',
  cts: 'typescript',
  tsx: 'tsx',
  rs: 'rust',
  py: 'python',
  pyi: 'python',
  json: 'json',
  jsonc: 'json',
  md: 'markdown',
  markdown: 'markdown',
  css: 'css',
  html: 'html',
  htm: 'html',
  svg: 'html',
};

/** The language of a path, from its extension; `null` for plain text. */
export function languageOf(path: string): LanguageId | null {
  const name = path.split('/').pop() ?? path;
  const dot = name.lastIndexOf('.');
  if (dot < 0) return null;
  return BY_EXTENSION[name.slice(dot + 1).toLowerCase()] ?? null;
}

/** Loads the CodeMirror support of a language (cached by the module loader). */
export async function loadLanguage(id: LanguageId): Promise<LanguageSupport> {
  switch (id) {
    case 'javascript':
      return (await import('@codemirror/lang-javascript')).javascript();
    case 'jsx':
      return (await import('@codemirror/lang-javascript')).javascript({ jsx: true });
    case 'typescript':
      return (await import('@codemirror/lang-javascript')).javascript({ typescript: true });
    case 'tsx':
      return (await import('@codemirror/lang-javascript')).javascript({ typescript: true, jsx: true });
    case 'rust':
      return (await import('@codemirror/lang-rust')).rust();
    case 'python':
      return (await import('@codemirror/lang-python')).python();
    case 'json':
      return (await import('@codemirror/lang-json')).json();
    case 'markdown':
      return (await import('@codemirror/lang-markdown')).markdown();
    case 'css':
      return (await import('@codemirror/lang-css')).css();
    case 'html':
      return (await import('@codemirror/lang-html')).html();
  }
}
