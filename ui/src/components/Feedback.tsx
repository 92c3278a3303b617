import type { ReactNode } from 'react';
import { Icon } from './Icon';

/** An inline error or notice with an optional action. */
export function Banner({
  tone,
  children,
  action,
  testId,
}: {
  tone: 'error' | 'warning' | 'info';
  children: ReactNode;
  action?: ReactNode;
  testId?: string;
}) {
  return (
    <div className={`banner banner-${tone}`} role={tone === 'info' ? 'status' : 'alert'} data-testid={testId}>
      <Icon name={tone === 'info' ? 'info' : 'alert'} />
      <div className="banner-body">{children}</div>
      {action && <div className="banner-action">{action}</div>}
    </div>
  );
}

/** Shown where a list has nothing to show yet. */
export function EmptyState({ title, children, testId }: { title: string; children?: ReactNode; testId?: string }) {
  return (
    <div className="empty" data-testid={testId}>
      <strong>{title}</strong>
      {children && <div className="empty-body">{children}</div>}
    </div>
  );
}

export function Spinner({ label = 'Loading' }: { label?: string }) {
  return (
    <span className="spinner-row" role="status">
      <span className="spinner" aria-hidden="true" />
      {label}…
    </span>
  );
}

/** A determinate progress bar (0..=100). */
export function ProgressBar({ value, label, testId }: { value: number; label: string; testId?: string }) {
  const clamped = Math.max(0, Math.min(100, Math.round(value)));
  return (
    <div
      className="progress"
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={clamped}
      data-testid={testId}
    >
      <div className="progress-fill" style={{ width: `${clamped}%` }} />
    </div>
  );
}

export function Badge({ tone = 'neutral', children, testId }: { tone?: 'neutral' | 'accent' | 'success' | 'warning' | 'danger'; children: ReactNode; testId?: string }) {
  return (
    <span className={`badge badge-${tone}`} data-testid={testId}>
      {children}
    </span>
  );
}
