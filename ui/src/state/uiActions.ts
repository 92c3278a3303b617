import { createStore, useStore } from './store';

// App-wide dialogs opened from anywhere (keyboard shortcuts, the command palette, pages).

export interface NewGoalDefaults {
  featureId?: string;
}

const newGoal = createStore<NewGoalDefaults | null>(null);
const identityPicker = createStore(false);

export function openNewGoal(defaults: NewGoalDefaults = {}): void {
  newGoal.set(defaults);
}

export function closeNewGoal(): void {
  newGoal.set(null);
}

export function useNewGoal(): NewGoalDefaults | null {
  return useStore(newGoal);
}

export function openIdentityPicker(): void {
  identityPicker.set(true);
}

export function closeIdentityPicker(): void {
  identityPicker.set(false);
}

export function useIdentityPickerOpen(): boolean {
  return useStore(identityPicker);
}
