import { useEffect, useState } from 'react';
import { useSession } from './api/session';
import { AppSwitcher } from './components/AppSwitcher';
import { CommandPalette } from './components/CommandPalette';
import { ConnectionIndicator } from './components/ConnectionIndicator';
import { Icon } from './components/Icon';
import { IdentityChip, IdentityPicker } from './components/IdentityPicker';
import { NewGoalDialog } from './components/NewGoalDialog';
import { SignIn } from './components/SignIn';
import { TargetPill } from './components/TargetPill';
import { Notifier } from './components/Notifier';
import { ThemeToggle } from './components/ThemeToggle';
import { AREAS, type Area } from './routes/areas';
import { AreaPage, preloadArea } from './routes/AreaPage';
import { hrefFor, useArea } from './state/router';
import { ThemeFromSettings } from './state/ThemeFromSettings';
import { useIdentity } from './state/identity';
import { handleShortcut } from './state/shortcuts';
import { closeIdentityPicker, closeNewGoal, useIdentityPickerOpen, useNewGoal } from './state/uiActions';

const SECTIONS: Area['section'][] = ['Work', 'Workspace', 'Daemon'];
const isMac = typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform);

/** The shell: navigation, top bar, the current area, and the command palette. */
export function App() {
  const area = useArea();
  const { unauthorized } = useSession();
  const [paletteOpen, setPaletteOpen] = useState(false);
  const newGoal = useNewGoal();
  const me = useIdentity();
  const pickerOpen = useIdentityPickerOpen();
  // Asked once: until the person picks, adds or skips, the picker opens by itself.
  const showPicker = pickerOpen || me === null;

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && !e.altKey && e.key.toLowerCase() === 'k') {
        e.preventDefault();
        setPaletteOpen((open) => !open);
        return;
      }
      handleShortcut(e);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  const current = AREAS.find((a) => a.id === area);
  useEffect(() => {
    document.title = current ? `${current.label} · Refine` : 'Refine';
  }, [current]);

  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <nav className="sidebar" aria-label="Main">
        <div className="sidebar-inner">
          <div className="brand">
            <span className="brand-mark">
              <Icon name="logo" size={18} />
            </span>
            <span className="brand-name">Refine</span>
          </div>
          {SECTIONS.map((section) => (
            <div className="nav-section" key={section}>
              <div className="nav-heading">{section}</div>
              <ul>
                {AREAS.filter((a) => a.section === section && !a.hidden).map((a) => (
                  <li key={a.id}>
                    <a
                      href={hrefFor(a.id)}
                      className={a.id === area ? 'nav-link active' : 'nav-link'}
                      aria-current={a.id === area ? 'page' : undefined}
                      onPointerEnter={() => void preloadArea(a.id)}
                      onFocus={() => void preloadArea(a.id)}
                      data-testid={`nav-${a.id}`}
                    >
                      <Icon name={a.icon} />
                      {a.label}
                    </a>
                  </li>
                ))}
              </ul>
            </div>
          ))}
        </div>
      </nav>
      <div className="main-column">
        <header className="topbar">
          <AppSwitcher />
          <TargetPill />
          <div className="topbar-spacer" />
          <button type="button" className="palette-button" onClick={() => setPaletteOpen(true)} data-testid="palette-button">
            <Icon name="search" />
            <span>Search or run…</span>
            <kbd>{isMac ? '⌘' : 'Ctrl'} K</kbd>
          </button>
          <ConnectionIndicator />
          <IdentityChip />
          <Notifier />
          <ThemeToggle />
        </header>
        <main id="main" className="content" tabIndex={-1}>
          {unauthorized ? <SignIn /> : <AreaPage area={area} />}
        </main>
      </div>
      {paletteOpen && <CommandPalette onClose={() => setPaletteOpen(false)} />}
      {newGoal && <NewGoalDialog defaults={newGoal} onClose={closeNewGoal} />}
      {showPicker && !paletteOpen && !unauthorized && <IdentityPicker onClose={closeIdentityPicker} />}
      <ThemeFromSettings />
    </div>
  );
}
