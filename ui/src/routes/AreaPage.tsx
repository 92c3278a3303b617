import { lazy, Suspense, type ComponentType } from 'react';
import { Spinner } from '../components/Feedback';
import type { AreaId } from './areas';

/** A page loaded when first shown (each area is its own chunk; the first paint loads one). */
function page<K extends string>(load: () => Promise<Record<K, ComponentType>>, name: K) {
  return lazy(() => load().then((m) => ({ default: m[name] })));
}

const ActivityPage = page(() => import('./activity/ActivityPage'), 'ActivityPage');
const AppsPage = page(() => import('./apps/AppsPage'), 'AppsPage');
const BoardPage = page(() => import('./board/BoardPage'), 'BoardPage');
const ChangesPage = page(() => import('./changes/ChangesPage'), 'ChangesPage');
const ChatPage = page(() => import('./chat/ChatPage'), 'ChatPage');
const DashboardPage = page(() => import('./dashboard/DashboardPage'), 'DashboardPage');
const FeaturesPage = page(() => import('./features/FeaturesPage'), 'FeaturesPage');
const FilesPage = page(() => import('./files/FilesPage'), 'FilesPage');
const GoalsPage = page(() => import('./goals/GoalsPage'), 'GoalsPage');
const ImportPage = page(() => import('./import/ImportPage'), 'ImportPage');
const LogsPage = page(() => import('./logs/LogsPage'), 'LogsPage');
const PerformancePage = page(() => import('./performance/PerformancePage'), 'PerformancePage');
const ProcessesPage = page(() => import('./processes/ProcessesPage'), 'ProcessesPage');
const RunnerPage = page(() => import('./runner/RunnerPage'), 'RunnerPage');
const SettingsArea = page(() => import('./settings/SettingsArea'), 'SettingsArea');
const SystemPage = page(() => import('./system/SystemPage'), 'SystemPage');
const TodosPage = page(() => import('./todos/TodosPage'), 'TodosPage');
const TerminalPage = page(() => import('./terminal/TerminalPage'), 'TerminalPage');

/** Picks the page for an area. */
export function AreaPage({ area }: { area: AreaId }) {
  return (
    <Suspense
      fallback={
        <div className="page-loading" data-testid="page-loading">
          <Spinner />
        </div>
      }
    >
      <Area area={area} />
    </Suspense>
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
