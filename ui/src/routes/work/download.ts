import { call } from '../../api/client';
import type { Caller } from '../../api/hooks';
import type { ExportFormat } from '../../gen/bindings';

/** Asks the daemon for an export and saves it through a Blob link. */
export async function downloadExport(appId: string, format: ExportFormat, through: Caller = call): Promise<{ filename: string; goals: number }> {
  const file = await through('goals.export', { appId, format });
  const blob = new Blob([file.content], { type: file.contentType });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = file.filename;
  a.rel = 'noopener';
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 30_000);
  return { filename: file.filename, goals: file.goals };
}
