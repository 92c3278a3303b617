import { Suspense, type ComponentType } from 'react';
import { ChunkBoundary } from '../components/ChunkBoundary';
import { Spinner } from '../components/Feedback';
import type { AreaId } from './areas';
import { lazyPage } from './lazyPage';

const loaders = new Map<AreaId, () => Promise<void>>();

/** A page loaded when first shown (each area is its own chunk; the first paint loads one). */
function page<K extends string>(area: AreaId, load: () => Promise<Record<K, ComponentType>>, name: K) {
  const { Component, preload } = lazyPage(load, name);
  loaders.set(area, preload);
  return Component;
}

/** Starts loading an area's chunk before anything renders it (at start; when a link is pointed at). */
export function preloadArea(area: AreaId): Promise<void> {
  return loaders.get(area)?.() ?? Promise.resolve();
}

const ActivityPage = page('activity', () => import('./activity/ActivityPage'), 'ActivityPage');
const AppsPage = page('apps', () => import('./apps/AppsPage'), 'AppsPage');
const BoardPage = page('board', () => import('./board/BoardPage'), 'BoardPage');
const ChangesPage = page('changes', () => import('./changes/ChangesPage'), 'ChangesPage');
const ChatPage = page('chat', () => import('./chat/ChatPage'), 'ChatPage');
const ClusterPage = page('cluster', () => import('./cluster/ClusterPage'), 'ClusterPage');
const DashboardPage = page('dashboard', () => import('./dashboard/DashboardPage'), 'DashboardPage');
const FeaturesPage = page('features', () => import('./features/FeaturesPage'), 'FeaturesPage');
const FilesPage = page('files', () => import('./files/FilesPage'), 'FilesPage');
const GoalsPage = page('goals', () => import('./goals/GoalsPage'), 'GoalsPage');
const ImportPage = page('import', () => import('./import/ImportPage'), 'ImportPage');
const LogsPage = page('logs', () => import('./logs/LogsPage'), 'LogsPage');
const PerformancePage = page('performance', () => import('./performance/PerformancePage'), 'PerformancePage');
const ProcessesPage = page('processes', () => import('./processes/ProcessesPage'), 'ProcessesPage');
const RunnerPage = page('runner', () => import('./runner/RunnerPage'), 'RunnerPage');
const SettingsArea = page('settings', () => import('./settings/SettingsArea'), 'SettingsArea');
const SystemPage = page('system', () => import('./system/SystemPage'), 'SystemPage');
const TodosPage = page('todos', () => import('./todos/TodosPage'), 'TodosPage');
const TerminalPage = page('terminal', () => import('./terminal/TerminalPage'), 'TerminalPage');

/** Picks the page for an area. */
export function AreaPage({ area }: { area: AreaId }) {
  // Keyed by area: a page whose code failed does not keep another one from showing.
  return (
    <ChunkBoundary key={area}>
      <Suspense
        fallback={
          <div className="page-loading" data-testid="page-loading">
            <Spinner />
          </div>
        }
      >
        <Area area={area} />
      </Suspense>
    </ChunkBoundary>
  );
}

function Area({ area }: { area: AreaId }) {
  switch (area) {
    case 'dashboard':
      return <DashboardPage />;
    case 'goals':
      return <GoalsPage />;
    case 'board':
      return <BoardPage />;
    case 'features':
      return <FeaturesPage />;
    case 'todos':
      return <TodosPage />;
    case 'import':
      return <ImportPage />;
    case 'changes':
      return <ChangesPage />;
    case 'files':
      return <FilesPage />;
    case 'processes':
      return <ProcessesPage />;
    case 'runner':
      return <RunnerPage />;
    case 'apps':
      return <AppsPage />;
    case 'activity':
      return <ActivityPage />;
    case 'settings':
      return <SettingsArea />;
    case 'system':
      return <SystemPage />;
    case 'cluster':
      return <ClusterPage />;
    case 'performance':
      return <PerformancePage />;
    case 'logs':
      return <LogsPage />;
    case 'terminal':
      return <TerminalPage />;
    case 'chat':
      return <ChatPage />;
  }
}
