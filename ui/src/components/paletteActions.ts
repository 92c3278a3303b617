import type { App } from '../gen/bindings';
import { setAutomationPaused } from '../routes/work/AutomationBanner';
import { downloadExport } from '../routes/work/download';
import { navigate } from '../state/router';
import { focusSearch } from '../state/shortcuts';
import { openIdentityPicker, openNewGoal } from '../state/uiActions';
import type { IconName } from './Icon';

/** A command of the palette that is not an area or a raw operation. */
export interface PaletteAction {
  id: string;
  label: string;
  hint: string;
  icon: IconName;
  /** Returns a message for a success toast, if any. */
  run: () => Promise<string | void> | string | void;
}

/** The actions available now (some need an active app; pause/resume once its state is known). */
export function paletteActions(active: App | null, paused: boolean | undefined): PaletteAction[] {
  const list: PaletteAction[] = [
    { id: 'new-goal', label: 'New goal', hint: 'Write down what should change (n)', icon: 'plus', run: () => openNewGoal() },
    { id: 'search-goals', label: 'Search goals', hint: 'Full-text search over titles, prompts and notes (/)', icon: 'search', run: () => focusSearch() },
    { id: 'import', label: 'Import work', hint: 'Markdown task list, CSV, GitHub issues, Jira, Refine JSON', icon: 'upload', run: () => navigate('import') },
    { id: 'board', label: 'Open the board', hint: 'Goals by workflow state; drag to move', icon: 'board', run: () => navigate('board') },
    { id: 'review', label: 'Goals waiting for review', hint: 'Approve or decline', icon: 'check', run: () => navigate('goals', [], { status: 'review' }) },
    { id: 'identity', label: 'Who am I?', hint: 'Pick or add the reporter you act as', icon: 'user', run: () => openIdentityPicker() },
  ];
  if (active) {
    const appId = active.id;
    if (paused === true) {
      list.push({
        id: 'resume',
        label: 'Resume automation',
        hint: `Goals of ${active.name} start again when their turn comes`,
        icon: 'play',
        run: async () => {
          await setAutomationPaused(appId, false);
          return 'Automation resumed';
        },
      });
    } else if (paused === false) {
      list.push({
        id: 'pause',
        label: 'Pause automation',
        hint: `Goals of ${active.name} stop starting by themselves`,
        icon: 'pause',
        run: async () => {
          await setAutomationPaused(appId, true);
          return 'Automation paused';
        },
      });
    }
    for (const format of ['json', 'csv'] as const) {
      list.push({
        id: `export-${format}`,
        label: `Export goals as ${format.toUpperCase()}`,
        hint: format === 'json' ? 'Lossless; import reads it back' : 'Jira-compatible columns',
        icon: 'download',
        run: async () => {
          const { filename } = await downloadExport(appId, format);
          return `Saved ${filename}`;
        },
      });
    }
  }
  return list;
}
