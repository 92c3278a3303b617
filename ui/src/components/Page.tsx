import type { ReactNode } from 'react';

/** A page: title row with optional actions, then content. */
export function Page({
  title,
  subtitle,
  actions,
  children,
  testId,
  wide = false,
}: {
  title: string;
  subtitle?: ReactNode;
  actions?: ReactNode;
  children: ReactNode;
  testId?: string;
  /** Use the full width (boards). */
  wide?: boolean;
}) {
  return (
    <section className={wide ? 'page wide' : 'page'} data-testid={testId} aria-labelledby="page-title">
      <header className="page-header">
        <div>
          <h1 id="page-title">{title}</h1>
          {subtitle && <p className="page-subtitle">{subtitle}</p>}
        </div>
        {actions && <div className="page-actions">{actions}</div>}
      </header>
      {children}
    </section>
  );
}
