import { useSyncExternalStore } from 'react';
import { DEFAULT_AREA, isAreaId, type AreaId } from '../routes/areas';

// Hash routes (`#/apps`) work unchanged when the daemon serves the bundle and inside Tauri.
function readArea(): AreaId {
  const id = window.location.hash.replace(/^#\/?/, '').split(/[/?]/)[0];
  return isAreaId(id) ? id : DEFAULT_AREA;
}

function subscribe(listener: () => void): () => void {
  window.addEventListener('hashchange', listener);
  return () => window.removeEventListener('hashchange', listener);
}

export function useArea(): AreaId {
  return useSyncExternalStore(subscribe, readArea);
}

export function navigate(area: AreaId): void {
  window.location.hash = `#/${area}`;
}

export function hrefFor(area: AreaId): string {
  return `#/${area}`;
}
