import { ActivityPage } from './activity/ActivityPage';
import { AppsPage } from './apps/AppsPage';
import type { AreaId } from './areas';
import { BoardPage } from './board/BoardPage';
import { ChangesPage } from './changes/ChangesPage';
import { ChatPage } from './chat/ChatPage';
import { DashboardPage } from './dashboard/DashboardPage';
import { FeaturesPage } from './features/FeaturesPage';
import { FilesPage } from './files/FilesPage';
import { GoalsPage } from './goals/GoalsPage';
import { ImportPage } from './import/ImportPage';
import { LogsPage } from './logs/LogsPage';
import { PerformancePage } from './performance/PerformancePage';
import { ProcessesPage } from './processes/ProcessesPage';
import { RunnerPage } from './runner/RunnerPage';
import { SettingsArea } from './settings/SettingsArea';
import { SystemPage } from './system/SystemPage';
import { TodosPage } from './todos/TodosPage';
import { TerminalPage } from './terminal/TerminalPage';

/** Picks the page for an area. */
export function AreaPage({ area }: { area: AreaId }) {
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
