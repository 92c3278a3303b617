import type { ReactNode } from 'react';

export type StatTone = 'warn' | 'danger';

/** One figure on a dashboard-like page: a label, the value (with an optional unit or meter) and a line saying what it counts. */
export function StatCard({ label, value, unit, meter, children, testId, tone }: { label: string; value: ReactNode; unit?: string; meter?: ReactNode; children: ReactNode; testId: string; tone?: StatTone }) {
  return (
    <div className={tone ? `stat-card ${tone}` : 'stat-card'} data-testid={testId}>
      <span className="stat-label">{label}</span>
      <span className="stat-card-value">
        {value}
        {unit && <span className="stat-card-unit"> {unit}</span>}
      </span>
      {meter}
      <span className="muted small">{children}</span>
    </div>
  );
}
