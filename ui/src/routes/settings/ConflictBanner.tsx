import { Banner } from '../../components/Feedback';

/** A revision conflict: what happened, and a reload that shows the current state. */
export function ConflictBanner({ what, message, onReload, testId }: { what: string; message: string; onReload: () => void; testId: string }) {
  return (
    <Banner
      tone="warning"
      testId={testId}
      action={
        <button type="button" className="button small" onClick={onReload} data-testid={`${testId}-reload`}>
          Reload
        </button>
      }
    >
      <strong>{what} changed elsewhere — reload.</strong> {/[.!?]$/.test(message) ? message : `${message}.`} Reloading shows the current version and drops your unsaved edits.
    </Banner>
  );
}
