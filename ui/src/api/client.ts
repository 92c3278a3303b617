import { invoke } from '@tauri-apps/api/core';
import { actorHeader, chosenActor, currentActor } from './actor';
import { operations, type Input, type OperationName, type Output } from '../gen/bindings';
import { toApiFailure } from './errors';
import { httpCall, type Route } from './http';
import { markUnauthorized } from './session';
import { isTauri } from './transport';

export interface CallOptions {
  /** Reuse a key to retry the same user action; a fresh one is made for every mutating call. */
  idempotencyKey?: string;
  /** Who is acting; recorded in the audit log. */
  actor?: string;
  signal?: AbortSignal;
}

/** True for an operation name declared in the generated registry. */
export function isOperationName(name: string): name is OperationName {
  return Object.prototype.hasOwnProperty.call(operations, name);
}

async function dispatch(op: string, route: Route, input: unknown, opts: CallOptions): Promise<unknown> {
  const mutating = route.method !== 'GET';
  const idempotencyKey = mutating ? (opts.idempotencyKey ?? crypto.randomUUID()) : undefined;
  try {
    if (isTauri()) {
      return await invoke<unknown>('rpc', { op, input, idempotencyKey: idempotencyKey ?? null, actor: opts.actor ?? chosenActor() });
    }
    return await httpCall(op, route, input, {
      actor: actorHeader(opts.actor ?? currentActor()),
      idempotencyKey,
      signal: opts.signal,
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    const failure = toApiFailure(error);
    if (failure.code === 'unauthorized') markUnauthorized();
    throw failure;
  }
}

/**
 * The one client for every screen: Tauri IPC in the desktop window, fetch in a browser.
 * Rejects with an `ApiFailure` carrying the server's `{code, message, details}`.
 */
export async function call<N extends OperationName>(op: N, input: Input<N>, opts: CallOptions = {}): Promise<Output<N>> {
  return (await dispatch(op, operations[op], input, opts)) as Output<N>;
}

/**
 * Calls an operation chosen at run time (command palette). `route` comes from the daemon's own
 * catalogue, so operations newer than this bundle's bindings still work; the server checks input.
 */
export function callByName(name: string, input: unknown, route?: Route, opts: CallOptions = {}): Promise<unknown> {
  const known = route ?? (isOperationName(name) ? operations[name] : undefined);
  if (!known) {
    return Promise.reject(toApiFailure({ code: 'not_found', message: `unknown operation "${name}"` }));
  }
  return dispatch(name, known, input, opts);
}
