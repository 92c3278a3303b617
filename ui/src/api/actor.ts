// Who is acting, recorded by the daemon in the audit log (`X-Refine-Actor` / the rpc `actor`).
// The reporter picker sets it to the chosen reporter's name; until then it is "user".

export const DEFAULT_ACTOR = 'user';

let actor = DEFAULT_ACTOR;

export function setActor(name: string | null): void {
  actor = name?.trim() || DEFAULT_ACTOR;
}

export function currentActor(): string {
  return actor;
}

/** The chosen name, or `null` while none was chosen (the transport's default applies). */
export function chosenActor(): string | null {
  return actor === DEFAULT_ACTOR ? null : actor;
}

/**
 * HTTP header values must be visible ASCII (the daemon refuses anything else), so a name such as
 * "Zoë" is sent percent-encoded. The desktop IPC transport takes the name as it is.
 */
export function actorHeader(name: string): string {
  return /^[\x20-\x7e]+$/.test(name) ? name : name.replace(/[^\x20-\x7e]+/g, (s) => encodeURIComponent(s));
}
