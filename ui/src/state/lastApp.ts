// The app that was active when this browser last asked, so the first page can ask for its
// data while `apps.list` is still on its way (a guess: when another app became active since,
// the page asks again for that one and the guess is not used).

const KEY = 'refine.activeApp';

export function rememberActiveApp(id: string | null): void {
  try {
    if (id) localStorage.setItem(KEY, id);
    else localStorage.removeItem(KEY);
  } catch {
    // Storage may be unavailable: nothing is remembered then.
  }
}

export function rememberedActiveApp(): string | null {
  try {
    return localStorage.getItem(KEY);
  } catch {
    return null;
  }
}
