/** Whether this bundle runs inside the Tauri desktop window (IPC) rather than a browser (HTTP). */
export function isTauri(): boolean {
  return typeof window !== 'undefined' && '__TAURI_INTERNALS__' in window;
}
