import { nextTheme, setTheme, useTheme } from '../state/theme';
import { Icon } from './Icon';

const ICONS = { system: 'monitor', light: 'sun', dark: 'moon' } as const;

/** Cycles light → dark → system; the choice is kept in localStorage. */
export function ThemeToggle() {
  const theme = useTheme();
  const next = nextTheme(theme);
  return (
    <button
      type="button"
      className="icon-button"
      onClick={() => setTheme(next)}
      title={`Theme: ${theme} (switch to ${next})`}
      aria-label={`Theme: ${theme}. Switch to ${next}`}
      data-testid="theme-toggle"
      data-theme-choice={theme}
    >
      <Icon name={ICONS[theme]} />
    </button>
  );
}
