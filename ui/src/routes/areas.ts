import type { IconName } from '../components/Icon';

export type AreaId =
  | 'dashboard'
  | 'goals'
  | 'board'
  | 'features'
  | 'todos'
  | 'import'
  | 'changes'
  | 'runner'
  | 'processes'
  | 'terminal'
  | 'files'
  | 'chat'
  | 'activity'
  | 'apps'
  | 'settings'
  | 'system'
  | 'cluster'
  | 'performance'
  | 'logs';

export interface Area {
  id: AreaId;
  label: string;
  icon: IconName;
  section: 'Work' | 'Workspace' | 'Daemon';
  /** One line for the command palette. */
  hint: string;
  /** Reached from other pages and the palette, not listed in the sidebar. */
  hidden?: boolean;
}

/** The product areas in navigation order. */
export const AREAS: readonly Area[] = [
  { id: 'dashboard', label: 'Dashboard', icon: 'dashboard', section: 'Work', hint: 'Overview of the active app' },
  { id: 'goals', label: 'Goals', icon: 'goals', section: 'Work', hint: 'Units of work and their rounds' },
  { id: 'board', label: 'Board', icon: 'board', section: 'Work', hint: 'Goals by workflow state; drag to move' },
  { id: 'features', label: 'Features', icon: 'features', section: 'Work', hint: 'Ordered groups of goals' },
  { id: 'todos', label: 'Todos', icon: 'todos', section: 'Work', hint: 'Your own todo list' },
  { id: 'import', label: 'Import', icon: 'upload', section: 'Work', hint: 'Markdown, CSV, GitHub, Jira or Refine JSON → Goals', hidden: true },
  { id: 'changes', label: 'Changes', icon: 'changes', section: 'Work', hint: 'Git status, diffs and integration' },
  { id: 'runner', label: 'Runner', icon: 'play', section: 'Work', hint: 'Workers on Goals, capacity, and why Goals wait' },
  { id: 'processes', label: 'Processes', icon: 'processes', section: 'Workspace', hint: 'Supervised processes and logs' },
  { id: 'terminal', label: 'Terminal', icon: 'terminal', section: 'Workspace', hint: 'PTY sessions' },
  { id: 'files', label: 'Files', icon: 'files', section: 'Workspace', hint: 'The app’s files' },
  { id: 'chat', label: 'Chat', icon: 'chat', section: 'Workspace', hint: 'Threads with an agent' },
  { id: 'activity', label: 'Activity', icon: 'activity', section: 'Daemon', hint: 'The audit log, live' },
  { id: 'apps', label: 'Apps', icon: 'apps', section: 'Daemon', hint: 'Registered target apps' },
  { id: 'settings', label: 'Settings', icon: 'settings', section: 'Daemon', hint: 'Global and per-app settings' },
  { id: 'system', label: 'System', icon: 'system', section: 'Daemon', hint: 'Daemon info, doctor, upgrades and backups, caches, the operation catalogue' },
  { id: 'cluster', label: 'Cluster', icon: 'cluster', section: 'Daemon', hint: 'Nodes, their health and load, drain one; join or leave a cluster (NATS)' },
  { id: 'performance', label: 'Performance', icon: 'gauge', section: 'Daemon', hint: 'Latency per operation, memory and CPU, busiest operations' },
  { id: 'logs', label: 'Logs', icon: 'logs', section: 'Daemon', hint: 'The daemon’s log file: levels, modules, follow live' },
];

export const DEFAULT_AREA: AreaId = 'dashboard';

export function isAreaId(value: string): value is AreaId {
  return AREAS.some((a) => a.id === value);
}
