import { useQuery, type QueryState } from '../../api/hooks';
import type { Feature, Reporter } from '../../gen/bindings';

/** The app's Features, kept current from live events. */
export function useFeatures(appId: string, enabled = true): QueryState<Feature[]> {
  return useQuery('features.list', { appId }, { enabled: enabled && appId !== '' });
}

/** Live reporters (not removed), kept current. */
export function useReporters(enabled = true): QueryState<Reporter[]> {
  return useQuery('reporters.list', {}, { enabled });
}
