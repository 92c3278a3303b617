import { navigate } from './router';
import { openNewGoal } from './uiActions';

function typingIn(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  const tag = target.tagName;
  return tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT' || target.isContentEditable;
}

/** Focuses the page's search box; pages without one send you to the Goals search. */
export function focusSearch(): void {
  const box = document.querySelector<HTMLInputElement>('[data-shortcut="search"]');
  if (box) {
    box.focus();
    box.select();
    return;
  }
  navigate('goals');
  let tries = 0;
  const retry = () => {
    const found = document.querySelector<HTMLInputElement>('[data-shortcut="search"]');
    if (found) found.focus();
    else if (tries++ < 60) requestAnimationFrame(retry);
  };
  requestAnimationFrame(retry);
}

/**
 * Single-key shortcuts: `n` new goal, `/` search. Ignored while typing, with modifiers, or while
 * a dialog is open.
 */
export function handleShortcut(e: KeyboardEvent): void {
  if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || typingIn(e.target)) return;
  if (document.querySelector('[role="dialog"]')) return;
  if (e.key === 'n' || e.key === 'N') {
    e.preventDefault();
    openNewGoal();
  } else if (e.key === '/') {
    e.preventDefault();
    focusSearch();
  }
}
