import { useEffect, useRef, useState, type RefObject } from 'react';

/**
 * The content width of an element, followed with a ResizeObserver (0 until first measured). Charts
 * draw at the width they get instead of scaling a fixed viewBox, so their text stays readable
 * on narrow screens.
 */
export function useElementWidth<T extends HTMLElement>(): [RefObject<T | null>, number] {
  const ref = useRef<T>(null);
  const [width, setWidth] = useState(0);
  useEffect(() => {
    const element = ref.current;
    if (!element) return;
    // The observer reports the current size once right after `observe`.
    const observer = new ResizeObserver(([entry]) => setWidth(Math.floor(entry.contentRect.width)));
    observer.observe(element);
    return () => observer.disconnect();
  }, []);
  return [ref, width];
}
