import { createElement, lazy, type ComponentType, type LazyExoticComponent } from 'react';

type Loaded<P> = { default: ComponentType<P> };

/** A page's code did not come (the network, or a build newer than this page: its files are gone). */
export class ChunkLoadError extends Error {
  /** Called once the failure is shown: the page's next render asks for its code again. */
  readonly forget: () => void;

  constructor(cause: unknown, forget: () => void) {
    super(`This page’s code could not be loaded${cause instanceof Error ? ` (${cause.message})` : ''}`, { cause });
    this.name = 'ChunkLoadError';
    this.forget = forget;
  }
}

/**
 * A component whose code is its own chunk, loaded on first use or ahead of it with `preload()`.
 * Once the chunk is here it renders at once: `lazy` gets a thenable that answers synchronously,
 * so nothing suspends. (A Suspense fallback, once shown, holds the content back — React reveals
 * at most every 300 ms — and with it every request the content makes as it mounts.)
 * A load that failed is forgotten: a preload that failed (a link pointed at while offline) does
 * not fail the page when it is opened later, and a page whose failure was shown asks again when
 * next opened.
 */
export function lazyPage<P extends object, K extends string>(load: () => Promise<Record<K, ComponentType<P>>>, name: K) {
  let loaded: Loaded<P> | undefined;
  let loading: Promise<Loaded<P>> | undefined;
  const start = () =>
    (loading ??= load().then(
      (m) => (loaded = { default: m[name] }),
      (error: unknown) => {
        loading = undefined;
        // React keeps a lazy component's failure: once it is shown (`ChunkBoundary`), the next
        // render gets a fresh one. (Not before: the render that failed would ask again, forever.)
        throw new ChunkLoadError(error, () => {
          current = fresh();
        });
      },
    ));
  const fresh = (): LazyExoticComponent<ComponentType<P>> =>
    lazy(() => {
      const ready = loaded;
      if (!ready) return start();
      const now = { then: (resolve: (m: Loaded<P>) => void) => resolve(ready) };
      return now as unknown as Promise<Loaded<P>>;
    });
  let current = fresh();
  const Component = (props: P) => createElement(current, props);
  /** Loads the chunk now; resolves once it is here (or failed: rendering asks again, and shows a failure). */
  const preload = (): Promise<void> =>
    start().then(
      () => undefined,
      () => undefined,
    );
  return { Component, preload };
}
