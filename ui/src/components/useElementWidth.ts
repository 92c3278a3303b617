import { useCallback, useEffect, useState } from 'react';

/** The content box width of an element. */
function contentWidth(el: HTMLElement): number {
  const style = getComputedStyle(el);
  return Math.floor(el.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight));
}

/**
 * The content width of an element, followed with a ResizeObserver (0 until first measured). Charts
 * draw at the width they get instead of scaling a fixed viewBox, so their text stays readable
 * on narrow screens. The ref is a callback, so an element that appears after the first render
 * (once its data loaded) is measured too — at once, before it is first painted, so the first
 * paint already lays out at the right width.
 */
export function useElementWidth<T extends HTMLElement>(): [(element: T | null) => void, number] {
  const [element, setElement] = useState<T | null>(null);
  const [width, setWidth] = useState(0);
  const ref = useCallback((el: T | null) => {
    setElement(el);
    if (el) setWidth(contentWidth(el));
  }, []);
  useEffect(() => {
    if (!element) return;
    // The observer reports the current size once right after `observe`.
    const observer = new ResizeObserver(([entry]) => setWidth(Math.floor(entry.contentRect.width)));
    observer.observe(element);
    return () => observer.disconnect();
  }, [element]);
  return [ref, width];
}
