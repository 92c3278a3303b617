/** `ids` with `moved` put before or after `target` (pure, for drag and drop and the arrow buttons). */
export function reorder(ids: readonly string[], moved: string, target: string, place: 'before' | 'after'): string[] {
  if (moved === target) return [...ids];
  const rest = ids.filter((id) => id !== moved);
  const at = rest.indexOf(target);
  if (at < 0) return [...ids];
  rest.splice(place === 'before' ? at : at + 1, 0, moved);
  return rest;
}

/** `ids` with the item at `index` moved by `delta` places. */
export function shift(ids: readonly string[], index: number, delta: number): string[] {
  const to = index + delta;
  if (to < 0 || to >= ids.length) return [...ids];
  const next = [...ids];
  const [item] = next.splice(index, 1);
  next.splice(to, 0, item);
  return next;
}
