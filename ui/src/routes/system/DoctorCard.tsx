import { useState } from 'react';
import { useAction } from '../../api/hooks';
import { Badge, Banner } from '../../components/Feedback';
import { formatBytes, formatTime } from '../../components/format';
import { Icon } from '../../components/Icon';
import type { BundleInfo, CheckStatus, DoctorReport } from '../../gen/bindings';

export const CHECK_TONE: Record<CheckStatus, 'success' | 'warning' | 'danger' | 'neutral'> = {
  ok: 'success',
  warn: 'warning',
  fail: 'danger',
  skip: 'neutral',
};

const CHECK_LABEL: Record<CheckStatus, (n: number) => string> = {
  ok: () => 'ok',
  warn: (n) => (n === 1 ? 'warning' : 'warnings'),
  fail: () => 'failed',
  skip: () => 'skipped',
};

/** What needs doing comes first; otherwise the daemon's order (it groups related checks). */
const RANK: Record<CheckStatus, number> = { fail: 0, warn: 1, ok: 2, skip: 2 };

/**
 * The doctor's checks and the support bundle. The checks run programs (git, each agent CLI), so
 * they run when asked, never when the page opens.
 */
export function DoctorCard() {
  const [report, setReport] = useState<DoctorReport | null>(null);
  const [bundle, setBundle] = useState<BundleInfo | null>(null);
  const doctor = useAction('diagnostics.doctor', { onSuccess: setReport });
  const writeBundle = useAction('diagnostics.bundle', { onSuccess: setBundle });

  return (
    <section className="card" aria-labelledby="doctor-title" data-testid="doctor-card">
      <div className="card-header">
        <h2 id="doctor-title">Doctor</h2>
        <span className="muted small">Git, the agent CLIs, disk, database, permissions, port, clock</span>
        <div className="card-actions">
          <button type="button" className="button" onClick={() => void writeBundle.run({})} disabled={writeBundle.busy} data-testid="bundle-write">
            <Icon name="download" /> {writeBundle.busy ? 'Writing…' : 'Write support bundle'}
          </button>
          <button type="button" className="button primary" onClick={() => void doctor.run({})} disabled={doctor.busy} data-testid="doctor-run">
            <Icon name={report ? 'refresh' : 'play'} /> {doctor.busy ? 'Checking…' : report ? 'Run again' : 'Run checks'}
          </button>
        </div>
      </div>

      {writeBundle.error && <Banner tone="error">Could not write the bundle: {writeBundle.error.message}</Banner>}
      {bundle && <BundleNote bundle={bundle} />}
      {doctor.error && <Banner tone="error">The checks did not run: {doctor.error.message}</Banner>}

      {report ? (
        <DoctorChecks report={report} />
      ) : (
        !doctor.busy && (
          <p className="muted doctor-idle" data-testid="doctor-idle">
            The checks run programs on this machine (<code>git --version</code>, each agent CLI), so they run only when you ask. The support bundle holds the
            logs, these checks, versions, settings and recent errors, with secrets replaced.
          </p>
        )
      )}
    </section>
  );
}

function BundleNote({ bundle }: { bundle: BundleInfo }) {
  return (
    <div className="bundle-note" data-testid="bundle-result" role="status">
      <Icon name="check" />
      <div className="bundle-body">
        <span>
          Wrote <code data-testid="bundle-path">{bundle.path}</code>
        </span>
        <span className="muted small" data-testid="bundle-facts">
          {bundle.bytes === null ? 'size unknown' : formatBytes(bundle.bytes)} · {bundle.files.length} file{bundle.files.length === 1 ? '' : 's'} ·{' '}
          {bundle.redacted === 0 ? 'no secrets found to redact' : `${bundle.redacted} secret${bundle.redacted === 1 ? '' : 's'} redacted`}
        </span>
      </div>
    </div>
  );
}

function DoctorChecks({ report }: { report: DoctorReport }) {
  const counts = (['fail', 'warn', 'ok', 'skip'] as const).map((s) => [s, report.checks.filter((c) => c.status === s).length] as const).filter(([, n]) => n > 0);
  const checks = [...report.checks].sort((a, b) => RANK[a.status] - RANK[b.status]);
  return (
    <div className="doctor" data-testid="doctor-report" data-status={report.status}>
      <div className="doctor-summary">
        <Badge tone={CHECK_TONE[report.status]} testId="doctor-status">
          {report.status === 'ok' ? 'all good' : report.status === 'fail' ? 'something failed' : report.status === 'warn' ? 'warnings' : 'nothing checked'}
        </Badge>
        <span className="muted small">
          {counts.map(([s, n]) => `${n} ${CHECK_LABEL[s](n)}`).join(' · ')} · checked {formatTime(report.at)}
        </span>
      </div>
      <ul className="doctor-checks">
        {checks.map((c) => (
          <li key={c.id} className={`doctor-check status-${c.status}`} data-testid="doctor-check" data-id={c.id} data-status={c.status}>
            <Badge tone={CHECK_TONE[c.status]}>{c.status}</Badge>
            <div className="doctor-check-body">
              <span className="doctor-check-title">{c.title}</span>
              <span className="doctor-check-detail">{c.detail}</span>
              {c.fix && c.status !== 'ok' && c.status !== 'skip' && (
                <span className="doctor-fix" data-testid="doctor-fix">
                  <strong>Fix:</strong> {c.fix}
                </span>
              )}
            </div>
          </li>
        ))}
      </ul>
    </div>
  );
}
