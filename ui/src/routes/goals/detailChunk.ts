import { lazyPage } from '../lazyPage';

/** One Goal's page (`#/goals/<id>`): its own chunk, so the list does not load it. */
export const { Component: GoalDetailPage, preload: preloadGoalDetail } = lazyPage(() => import('./GoalDetailPage'), 'GoalDetailPage');
