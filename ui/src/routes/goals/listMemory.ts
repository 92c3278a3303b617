import { hrefFor } from '../../state/router';

// The Goals list remembers its last address, so "← Goals" on a Goal goes back to the same filters.
let last = hrefFor('goals');

export function rememberGoalsHref(href: string): void {
  last = href;
}

export function lastGoalsHref(): string {
  return last;
}
