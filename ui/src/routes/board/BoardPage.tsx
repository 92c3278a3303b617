import { useMemo, useState, type CSSProperties, type DragEvent } from 'react';
import { useAction, useQuery } from '../../api/hooks';
import { DebouncedInput } from '../../components/DebouncedInput';
import { Dialog } from '../../components/Dialog';
import { Banner, Spinner } from '../../components/Feedback';
import { Icon } from '../../components/Icon';
import { Page } from '../../components/Page';
import { useAfterPaint } from '../../components/useAfterPaint';
import { useElementWidth } from '../../components/useElementWidth';
import { useToast } from '../../components/toastContext';
import type { App, Goal, WorkflowState } from '../../gen/bindings';
import { hrefFor, replaceQuery, useRoute } from '../../state/router';
import { openNewGoal } from '../../state/uiActions';
import { AutomationBanner } from '../work/AutomationBanner';
import { useFeatures } from '../work/hooks';
import { RequireApp } from '../work/RequireApp';
import { allowedTargets, moveOpFor, STATE_HINTS, STATE_LABELS, STATES } from '../work/states';
import { moveGoal, type MoveOptions } from '../work/transition';
import { BoardCard, DRAG_TYPE } from './BoardCard';
import { ColumnCards } from './ColumnCards';
import { boardFilterFromQuery, FOLDED, foldedColumns, GAP, loadChosen, OPEN_MIN, saveChosen } from './columns';
import { byPriority, useBoardColumns } from './useBoardColumns';

export function BoardPage() {
  return (
    <Page
      title="Board"
      subtitle="Goals by workflow state. Drag a card to another column, or use its “Move to…” menu."
      testId="page-board"
      wide
      actions={
        <button type="button" className="button primary" onClick={() => openNewGoal()} data-testid="new-goal">
          <Icon name="plus" /> New goal
        </button>
      }
    >
      <RequireApp>{(app) => <Board key={app.id} app={app} />}</RequireApp>
    </Page>
  );
}

interface Move {
  goal: Goal;
  to: WorkflowState;
  opts: MoveOptions;
}

interface Refusal {
  goal: Goal;
  to: WorkflowState;
  message: string;
}

function Board({ app }: { app: App }) {
  const toast = useToast();
  const route = useRoute();
  const featureFilter = route.query.get('feature') ?? '';
  const q = route.query.get('q') ?? '';
  const setQuery = (patch: Record<string, string>) => replaceQuery({ feature: featureFilter, q, ...patch });

  const filter = useMemo(() => boardFilterFromQuery(route.query), [route.query]);
  const board = useBoardColumns(app.id, filter);
  const { columns, ready, error } = board;
  // What the cards do not need to paint comes once they are painted: the Features (the filter's
  // choices) and why queued Goals wait (every todo card's reason, in one answer of about 250
  // bytes a queued Goal: 1.2 MB for 5,000).
  const painted = useAfterPaint(ready);
  const features = useFeatures(app.id, painted);
  const eligibility = useQuery('workflow.eligible', { appId: app.id, limit: 100_000 }, { enabled: painted && columns.todo.total > 0 });

  const [dragging, setDragging] = useState<Goal | null>(null);
  const [over, setOver] = useState<WorkflowState | null>(null);
  const [refusal, setRefusal] = useState<Refusal | null>(null);
  // A move shows at once: the card sits in its new column while the daemon is asked. A refused
  // move leaves `pending`, and the card is back where the cache has it, with the reason shown.
  const move = useAction(({ goal, to, opts }: Move, call) => moveGoal(goal, to, opts, call), {
    onSuccess: (result, { goal }) => {
      board.moved(result.goal, result.from);
      toast.show('success', `#${goal.number} → ${STATE_LABELS[result.to]}`, result.newRound ? 'A new round was opened.' : undefined);
    },
    onError: (err, { goal, to }) => setRefusal({ goal, to, message: err.message }),
  });
  const pending = useMemo(() => Object.fromEntries(move.pending.map((m) => [m.goal.id, m.to])) as Record<string, WorkflowState>, [move.pending]);
  const [asking, setAsking] = useState<{ goal: Goal; to: WorkflowState } | null>(null);
  const [reason, setReason] = useState('');

  const blocked = useMemo(() => new Map((eligibility.data?.blocked ?? []).map((b) => [b.goalId, b.reason])), [eligibility.data]);

  // A move shows at once: the card leaves its column for the one it goes to, and the counts follow.
  const shown = useMemo(() => {
    const byState = new Map<WorkflowState, { cards: Goal[]; count: number }>();
    const moving = move.pending;
    for (const state of STATES) {
      const column = columns[state];
      const leaving = moving.filter((m) => m.to !== state && column.cards.some((g) => g.id === m.goal.id));
      const arriving = moving.filter((m) => m.to === state && !column.cards.some((g) => g.id === m.goal.id)).map((m) => m.goal);
      const cards = leaving.length || arriving.length ? [...column.cards.filter((g) => !leaving.some((m) => m.goal.id === g.id)), ...arriving].sort(byPriority) : column.cards;
      byState.set(state, { cards, count: Math.max(0, column.total - leaving.length + arriving.length) });
    }
    return byState;
  }, [columns, move.pending]);
  const listed = STATES.reduce((n, s) => n + (shown.get(s)?.count ?? 0), 0);
  const capped = STATES.some((s) => columns[s].capped);

  // Every column fits the board's width: the least actionable fold to strips when room runs out.
  const [boardRef, boardWidth] = useElementWidth<HTMLDivElement>();
  const [chosen, setChosen] = useState(loadChosen);
  const counts = useMemo(() => new Map(STATES.map((s) => [s, shown.get(s)?.count ?? 0])), [shown]);
  const folded = foldedColumns(boardWidth, counts, chosen);
  const toggleFold = (state: WorkflowState) => {
    const next = { ...chosen, [state]: !folded.has(state) };
    setChosen(next);
    saveChosen(next);
  };
  const template = STATES.map((s) => (folded.has(s) ? `${FOLDED}px` : `minmax(${OPEN_MIN}px, 1fr)`)).join(' ');

  const doMove = (goal: Goal, to: WorkflowState, opts: MoveOptions = {}) => {
    setRefusal(null);
    void move.run({ goal, to, opts });
  };

  const requestMove = (goal: Goal, to: WorkflowState) => {
    if (to === goal.status) return;
    const op = moveOpFor(goal.status, to);
    if (op === 'workflow.cancel' || op === 'workflow.decline') {
      setReason('');
      setAsking({ goal, to });
    } else {
      doMove(goal, to);
    }
  };

  const onDrop = (e: DragEvent<HTMLElement>, to: WorkflowState) => {
    e.preventDefault();
    setOver(null);
    const id = e.dataTransfer.getData(DRAG_TYPE) || dragging?.id;
    setDragging(null);
    const goal = dragging?.id === id ? dragging : STATES.flatMap((s) => columns[s].cards).find((g) => g.id === id);
    if (goal) requestMove(goal, to);
  };

  const endDrag = () => {
    setDragging(null);
    setOver(null);
  };

  const allowed = dragging ? allowedTargets(dragging.status) : [];

  if (error && !ready) return <Banner tone="error">{error}</Banner>;
  if (!ready) return <Spinner />;

  return (
    <>
      <AutomationBanner appId={app.id} />
      <div className="board-toolbar">
        <div className="search-box">
          <Icon name="search" />
          <DebouncedInput type="search" value={q} onCommit={(v) => setQuery({ q: v })} placeholder="Filter cards…" aria-label="Filter cards" data-shortcut="search" data-testid="board-search" />
        </div>
        <select value={featureFilter} onChange={(e) => setQuery({ feature: e.target.value })} aria-label="Feature" data-testid="board-feature">
          <option value="">All features</option>
          <option value="none">No feature</option>
          {(features.data ?? []).map((f) => (
            <option key={f.id} value={f.id}>
              {f.name}
            </option>
          ))}
        </select>
        <span className="muted small" data-testid="board-total">
          {listed.toLocaleString()}
          {capped ? '+' : ''} goals
        </span>
      </div>
      {error && <Banner tone="error">{error}</Banner>}
      {refusal && (
        <Banner
          tone="error"
          testId="board-refusal"
          action={
            <button type="button" className="icon-button" aria-label="Dismiss" onClick={() => setRefusal(null)}>
              <Icon name="x" />
            </button>
          }
        >
          <strong>
            #{refusal.goal.number} “{refusal.goal.title}” was not moved to {STATE_LABELS[refusal.to].toLowerCase()}.
          </strong>{' '}
          <span data-testid="board-refusal-reason">{refusal.message}</span>
        </Banner>
      )}
      <div className="board" ref={boardRef} style={{ gridTemplateColumns: template, gap: GAP } as CSSProperties} data-testid="board" data-dragging={dragging ? 'true' : undefined}>
        {STATES.map((state) => {
          const { cards, count } = shown.get(state) ?? { cards: [], count: 0 };
          const column = columns[state];
          const isFolded = folded.has(state);
          const classes = ['board-column', `column-${state}`];
          if (isFolded) classes.push('folded');
          if (dragging && state !== dragging.status) classes.push(allowed.includes(state) ? 'drop-ok' : 'drop-unlikely');
          if (over === state) classes.push('drop-over');
          return (
            <section
              key={state}
              className={classes.join(' ')}
              aria-label={`${STATE_LABELS[state]}: ${count}`}
              data-testid={`board-column-${state}`}
              data-folded={isFolded ? 'true' : undefined}
              onDragOver={(e) => {
                if (!dragging || dragging.status === state) return;
                e.preventDefault();
                e.dataTransfer.dropEffect = 'move';
                if (over !== state) setOver(state);
              }}
              onDragLeave={(e) => {
                if (!e.currentTarget.contains(e.relatedTarget as Node | null)) setOver((o) => (o === state ? null : o));
              }}
              onDrop={(e) => onDrop(e, state)}
            >
              <header className="board-column-head" title={STATE_HINTS[state]}>
                <button
                  type="button"
                  className="icon-button small board-fold"
                  onClick={() => toggleFold(state)}
                  aria-expanded={!isFolded}
                  aria-label={isFolded ? `Show the ${STATE_LABELS[state]} column` : `Fold the ${STATE_LABELS[state]} column`}
                  data-testid={`board-fold-${state}`}
                >
                  <Icon name={isFolded ? 'chevronRight' : 'chevronDown'} size={13} />
                </button>
                <span className={`state-dot state-${state}`} aria-hidden="true" />
                <a href={hrefFor('goals', [], { status: state })} className="board-column-title">
                  {STATE_LABELS[state]}
                </a>
                <span className="board-count" data-testid={`board-count-${state}`}>
                  {count}
                  {column.capped ? '+' : ''}
                </span>
              </header>
              <div className="board-column-body" hidden={isFolded}>
                {!isFolded && (
                  <ColumnCards
                    cards={cards}
                    count={count}
                    hasMore={column.hasMore}
                    loadingMore={column.loadingMore}
                    loadMore={column.loadMore}
                    keep={dragging?.id}
                    render={(g) => (
                      <BoardCard
                        goal={g}
                        blockedReason={g.status === 'todo' ? blocked.get(g.id) : undefined}
                        pending={g.id in pending}
                        onDragStart={setDragging}
                        onDragEnd={endDrag}
                        onMove={requestMove}
                      />
                    )}
                  />
                )}
                {count === 0 && <div className="board-empty">{dragging && state !== dragging.status ? 'Drop here' : 'Nothing here'}</div>}
              </div>
            </section>
          );
        })}
      </div>
      {asking && (
        <Dialog
          title={moveOpFor(asking.goal.status, asking.to) === 'workflow.cancel' ? `Cancel #${asking.goal.number}?` : `Decline #${asking.goal.number}?`}
          onClose={() => setAsking(null)}
          testId="move-dialog"
          footer={
            <>
              <button type="button" className="button ghost" onClick={() => setAsking(null)}>
                Never mind
              </button>
              <button
                type="button"
                className={asking.to === 'cancelled' ? 'button danger' : 'button primary'}
                onClick={() => {
                  const { goal, to } = asking;
                  setAsking(null);
                  doMove(goal, to, { reason });
                }}
                data-testid="move-dialog-confirm"
              >
                {asking.to === 'cancelled' ? 'Cancel goal' : 'Decline'}
              </button>
            </>
          }
        >
          <p className="dialog-lead">
            “{asking.goal.title}”{' '}
            {asking.to === 'cancelled' ? 'will be cancelled. A cancelled goal cannot be moved again.' : 'goes back to todo with a new round.'}
          </p>
          <label className="field">
            <span className="field-label">{asking.to === 'cancelled' ? 'Why? (optional)' : 'What should change in the next attempt? (optional)'}</span>
            <textarea rows={3} value={reason} onChange={(e) => setReason(e.target.value)} data-testid="move-dialog-reason" />
          </label>
        </Dialog>
      )}
    </>
  );
}
