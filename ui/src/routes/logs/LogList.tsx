import { Fragment, useLayoutEffect, useRef, useState } from 'react';
import type { LogRecord } from '../../gen/bindings';
import { dayOf, formatClock, formatDay, formatFields } from './format';

/** How close to the end still counts as "at the end" (a row's height). */
const END_SLACK = 24;

/**
 * Records oldest first, the newest at the bottom; a day line where the day changes. Stays at the
 * end as records arrive unless the person scrolled up; then a button says how many came since.
 */
export function LogList({ records, onTarget }: { records: LogRecord[]; onTarget: (target: string) => void }) {
  const box = useRef<HTMLDivElement>(null);
  // The last record seen at the end, while scrolled away from it (null: at the end).
  const [away, setAway] = useState<LogRecord | null>(null);

  useLayoutEffect(() => {
    if (away === null && box.current) box.current.scrollTop = box.current.scrollHeight;
  }, [records, away]);

  const seenAt = away === null ? -1 : records.lastIndexOf(away);
  const unseen = away === null ? 0 : seenAt < 0 ? records.length : records.length - 1 - seenAt;

  return (
    <div className="log-list-wrap">
      <div
        className="log-list"
        ref={box}
        role="log"
        aria-live="off"
        aria-label="Log records, oldest first"
        tabIndex={0}
        data-testid="log-list"
        data-records={records.length}
        data-following-end={away === null}
        onScroll={(e) => {
          const el = e.currentTarget;
          const atEnd = el.scrollHeight - el.scrollTop - el.clientHeight < END_SLACK;
          if (atEnd && away !== null) setAway(null);
          else if (!atEnd && away === null) setAway(records[records.length - 1] ?? null);
        }}
      >
        {records.map((r, i) => {
          const day = dayOf(r.at);
          const newDay = i === 0 || dayOf(records[i - 1].at) !== day;
          const fields = formatFields(r.fields);
          return (
            <Fragment key={i}>
              {newDay && (
                <div className="log-day" role="separator">
                  {formatDay(r.at)}
                </div>
              )}
              <div className={`log-record level-${r.level}`} data-testid="log-record" data-level={r.level} data-target={r.target}>
                <time className="log-time" dateTime={r.at} title={r.at}>
                  {formatClock(r.at)}
                </time>
                <span className="log-level" data-testid="log-level">
                  {r.level}
                </span>
                <button type="button" className="log-target" title={`Only ${r.target}`} onClick={() => onTarget(r.target)} data-testid="log-target">
                  {r.target}
                </button>
                <span className="log-text">
                  <span className="log-message" data-testid="log-message">
                    {r.message}
                  </span>
                  {fields.map(([key, value]) => (
                    <span key={key} className="log-field" data-testid="log-field" data-key={key} title={value.length > 80 ? value : undefined}>
                      <span className="log-field-key">{key}</span>={value.length > 80 ? `${value.slice(0, 80)}…` : value}
                    </span>
                  ))}
                </span>
              </div>
            </Fragment>
          );
        })}
      </div>
      {away !== null && (
        <button
          type="button"
          className="button small log-jump"
          onClick={() => {
            setAway(null);
            if (box.current) box.current.scrollTop = box.current.scrollHeight;
          }}
          data-testid="log-jump"
        >
          ↓ {unseen > 0 ? `${unseen} newer record${unseen === 1 ? '' : 's'}` : 'Newest'}
        </button>
      )}
    </div>
  );
}
