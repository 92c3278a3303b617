import { useCallback, useEffect, useMemo, useRef, useState, type FocusEvent, type ReactNode } from 'react';
import type { Goal } from '../../gen/bindings';
import { GAP } from './columns';

/** A card's height before it is measured (most are a little taller: title, Feature, reason). */
const ESTIMATE = 118;
/** Cards are rendered this far (px) above and below what is on screen. */
const OVERSCAN = 800;

interface Props {
  /** The column's cards loaded so far, in order. */
  cards: Goal[];
  /** Every card of the column, loaded or not. */
  count: number;
  hasMore: boolean;
  loadingMore: boolean;
  loadMore: () => void;
  /** A card to keep rendered wherever it is (the one being dragged). */
  keep?: string;
  render: (goal: Goal) => ReactNode;
}

/** The first index whose offset is above `y` (offsets ascending). */
function firstAfter(offsets: number[], y: number): number {
  let lo = 0;
  let hi = offsets.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (offsets[mid] <= y) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * A column's cards, virtualised: only the cards near the screen are in the page (the others are
 * space of their measured, or estimated, height), so a column of thousands paints and scrolls
 * like one of ten. The rest of a long column is asked for as its end comes near the screen.
 */
export function ColumnCards({ cards, count, hasMore, loadingMore, loadMore, keep, render }: Props) {
  const box = useRef<HTMLDivElement>(null);
  // Cards' heights as measured (by id); the others are estimated.
  const [heights, setHeights] = useState<ReadonlyMap<string, number>>(() => new Map());
  // Where each card starts, from the column's top (one more entry: where the last one ends).
  const offsets = useMemo(() => {
    const out = new Array<number>(cards.length + 1);
    out[0] = 0;
    for (let i = 0; i < cards.length; i++) out[i + 1] = out[i] + (heights.get(cards[i].id) ?? ESTIMATE) + GAP;
    return out;
  }, [cards, heights]);

  // The cards on screen and near it, [first, last): found from where the column is on screen
  // as the page scrolls (a render only when they change).
  const [range, setRange] = useState<readonly [number, number]>(() => [0, Math.ceil((window.innerHeight + OVERSCAN) / (ESTIMATE + GAP))]);
  const placed = useRef(offsets);
  const look = useCallback(() => {
    const el = box.current;
    if (!el) return;
    const at = placed.current;
    const top = -el.getBoundingClientRect().top;
    const from = Math.max(0, firstAfter(at, top - OVERSCAN) - 1);
    const to = Math.min(at.length - 1, firstAfter(at, top + window.innerHeight + OVERSCAN));
    setRange((r) => (r[0] === from && r[1] === to ? r : [from, to]));
  }, []);
  // After the paint (which shows the first cards as estimated): no layout is forced before it.
  useEffect(() => {
    placed.current = offsets;
    look();
  }, [offsets, look]);
  useEffect(() => {
    let frame = 0;
    const onScroll = () => {
      if (!frame)
        frame = requestAnimationFrame(() => {
          frame = 0;
          look();
        });
    };
    window.addEventListener('scroll', onScroll, { passive: true, capture: true });
    window.addEventListener('resize', onScroll, { passive: true });
    return () => {
      cancelAnimationFrame(frame);
      window.removeEventListener('scroll', onScroll, { capture: true });
      window.removeEventListener('resize', onScroll);
    };
  }, [look]);

  // Besides those: the card being dragged, and the one holding the focus (a keyboard user's
  // place, an open "Move to…" menu), wherever they are; the cards between them stay space.
  const [focused, setFocused] = useState<string | null>(null);
  const rendered = useMemo(() => {
    const first = Math.min(range[0], cards.length);
    const last = Math.min(range[1], cards.length);
    const out: number[] = [];
    for (let i = first; i < last; i++) out.push(i);
    const extra = new Set<number>();
    for (const id of [keep, focused]) {
      const at = id ? cards.findIndex((g) => g.id === id) : -1;
      if (at >= 0 && (at < first || at >= last)) extra.add(at);
    }
    return extra.size === 0 ? out : [...out, ...extra].sort((a, b) => a - b);
  }, [range, cards, keep, focused]);
  // Each rendered card reports its height; a change moves the cards after it.
  const [observer] = useState(() =>
    typeof ResizeObserver === 'undefined'
      ? null
      : new ResizeObserver((entries) => {
          const seen: [string, number][] = [];
          for (const entry of entries) {
            const id = (entry.target as HTMLElement).dataset.slot;
            const height = Math.round(entry.borderBoxSize?.[0]?.blockSize ?? (entry.target as HTMLElement).offsetHeight);
            if (id && height > 0) seen.push([id, height]);
          }
          setHeights((known) => {
            const changed = seen.filter(([id, h]) => known.get(id) !== h);
            if (changed.length === 0) return known;
            const next = new Map(known);
            for (const [id, h] of changed) next.set(id, h);
            return next;
          });
        }),
  );
  useEffect(() => () => observer?.disconnect(), [observer]);
  const slot = useCallback(
    (el: HTMLDivElement | null) => {
      if (!el || !observer) return;
      observer.observe(el);
      return () => observer.unobserve(el);
    },
    [observer],
  );

  // The next page, once the column's end is near the screen.
  const end = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = end.current;
    if (!hasMore || loadingMore || !el || typeof IntersectionObserver === 'undefined') return;
    const seen = new IntersectionObserver(
      (entries) => {
        if (entries.some((e) => e.isIntersecting)) loadMore();
      },
      { rootMargin: '600px' },
    );
    seen.observe(el);
    return () => seen.disconnect();
  }, [hasMore, loadingMore, loadMore, cards.length]);

  // The cards in the page, and space of the height of those between them (less the gap the
  // space itself adds).
  const items: ReactNode[] = [];
  let next = 0;
  for (const i of rendered) {
    if (i > next) items.push(<div key={`space-${next}`} className="board-space" style={{ height: offsets[i] - offsets[next] - GAP }} aria-hidden="true" />);
    const g = cards[i];
    items.push(
      <div key={g.id} className="board-slot" data-slot={g.id} ref={slot}>
        {render(g)}
      </div>,
    );
    next = i + 1;
  }
  if (next < cards.length) items.push(<div key={`space-${next}`} className="board-space" style={{ height: offsets[cards.length] - offsets[next] - GAP }} aria-hidden="true" />);

  const onFocus = (e: FocusEvent<HTMLDivElement>) => {
    const id = (e.target as HTMLElement).closest<HTMLElement>('[data-slot]')?.dataset.slot ?? null;
    setFocused((f) => (f === id ? f : id));
  };
  const onBlur = (e: FocusEvent<HTMLDivElement>) => {
    if (!e.currentTarget.contains(e.relatedTarget as Node | null)) setFocused(null);
  };
  return (
    <>
      <div
        className="board-cards"
        ref={box}
        onFocus={onFocus}
        onBlur={onBlur}
        data-testid="board-cards"
        data-loaded={cards.length}
        data-first={rendered[0] ?? 0}
        data-last={rendered.length ? rendered[rendered.length - 1] + 1 : 0}
      >
        {items}
      </div>
      {count > cards.length && (
        <div ref={end} className="board-more muted small" data-testid="board-more" data-loaded={cards.length}>
          {loadingMore ? 'Loading…' : `${(count - cards.length).toLocaleString()} more…`}
        </div>
      )}
    </>
  );
}
