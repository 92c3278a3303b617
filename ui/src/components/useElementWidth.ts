import { useCallback, useEffect, useState } from 'react';

/**
 * The content width of an element, followed with a ResizeObserver (0 until first measured). Charts
 * draw at the width they get instead of scaling a fixed viewBox, so their text stays readable
 * on narrow screens. The ref is a callback, so an element that appears after the first render
 * (once its data loaded) is measured too.
 */
export function useElementWidth<T extends HTMLElement>(): [(element: T | null) => void, number] {
  const [element, setElement] = useState<T | null>(null);
  const [width, setWidth] = useState(0);
  const ref = useCallback((el: T | null) => setElement(el), []);
  useEffect(() => {
    if (!element) return;
    // The observer reports the current size once right after `observe`.
    const observer = new ResizeObserver(([entry]) => setWidth(Math.floor(entry.contentRect.width)));
    observer.observe(element);
    return () => observer.disconnect();
  }, [element]);
  return [ref, width];
}
