// SPDX-License-Identifier: AGPL-3.0-or-later
// state: everything the app knows while a session is open, in one object
// that a wipe replaces whole. Nothing here is ever written to storage.

export const IDLE_DEFAULT_S = 15 * 60; // the server's SESSION_IDLE_S, when it does not tell us

function fresh() {
  return {
    user: null,              // {id, username, role, status, enrolled}
    idleSeconds: IDLE_DEFAULT_S,
    summaries: new Map(),    // case id -> summary seen in a list
    users: new Map(),        // user id -> user (admin, coordinator)
    reasons: new Map(),      // case id -> break-glass reason given this session
    lastContact: new Map(),  // case id -> newest contact time (null: none), read once a session
    createWarnings: new Map(), // case id -> POST /cases warnings, shown once by the case file
    flash: null,             // {kind, key, vars} shown once on the next screen
  };
}

export let state = fresh();

export function resetState() {
  state = fresh();
  return state;
}

export function flash(kind, key, vars) {
  state.flash = { kind, key, vars };
}

export function takeFlash() {
  const f = state.flash;
  state.flash = null;
  return f;
}
