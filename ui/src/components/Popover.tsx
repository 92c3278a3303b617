import { useEffect, useRef, useState, type ReactNode } from 'react';

/**
 * A button that opens a small panel under it (menus, multi-selects). Closes on Escape, on a click
 * outside, and when `close()` is called from the content.
 */
export function Popover({
  label,
  children,
  buttonClass = 'button small',
  testId,
  align = 'start',
  ariaLabel,
  title,
}: {
  label: ReactNode;
  children: (close: () => void) => ReactNode;
  buttonClass?: string;
  testId?: string;
  align?: 'start' | 'end';
  ariaLabel?: string;
  title?: string;
}) {
  const [open, setOpen] = useState(false);
  const root = useRef<HTMLDivElement>(null);
  const button = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    if (!open) return;
    const onDown = (e: MouseEvent) => {
      if (root.current && !root.current.contains(e.target as Node)) setOpen(false);
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') {
        e.stopPropagation();
        setOpen(false);
        button.current?.focus();
      }
    };
    document.addEventListener('mousedown', onDown);
    document.addEventListener('keydown', onKey, true);
    // Focus the first control inside.
    requestAnimationFrame(() => root.current?.querySelector<HTMLElement>('.popover-panel input, .popover-panel button, .popover-panel [role="menuitem"]')?.focus());
    return () => {
      document.removeEventListener('mousedown', onDown);
      document.removeEventListener('keydown', onKey, true);
    };
  }, [open]);

  return (
    <div className="popover" ref={root}>
      <button
        type="button"
        ref={button}
        className={buttonClass}
        aria-haspopup="true"
        aria-expanded={open}
        aria-label={ariaLabel}
        title={title}
        onClick={() => setOpen((o) => !o)}
        data-testid={testId}
      >
        {label}
      </button>
      {open && (
        <div className={`popover-panel align-${align}`} data-testid={testId ? `${testId}-panel` : undefined}>
          {children(() => setOpen(false))}
        </div>
      )}
    </div>
  );
}
