// SPDX-License-Identifier: AGPL-3.0-or-later
// routes: which screens each role has, and the hash each one answers.
// Only ids appear in a hash; an id that is not one is a not-found.

import { welcomeScreen, passwordScreen, pendingScreen } from './screens/account.js';
import { caseListScreen, newCaseScreen } from './screens/cases.js';
import { caseFileScreen } from './screens/casefile.js';
import { boardScreen, newEvacuationScreen, evacuationScreen } from './screens/evacuations.js';
import { auditScreen, verifyScreen } from './screens/audit.js';
import { usersScreen, newUserScreen } from './screens/users.js';
import { securityScreen } from './screens/security.js';
import { alertsScreen } from './screens/alerts.js';
import { twoFactorScreen, needsTwoFactor } from './screens/twofactor.js';
import { transferScreen, importScreen } from './screens/transfer.js';

const ID = /^[A-Za-z0-9_-]{22}$/;

function exact(...want) {
  return (parts) => (parts.length === want.length && want.every((w, i) => w === parts[i]) ? {} : null);
}
function withIdThen(prefix, suffix) {
  return (parts) => (parts.length === 3 && parts[0] === prefix && ID.test(parts[1]) && parts[2] === suffix ? { id: parts[1] } : null);
}
function withId(prefix) {
  return (parts) => (parts.length === 2 && parts[0] === prefix && ID.test(parts[1]) ? { id: parts[1] } : null);
}

const common = [
  { key: 'password', match: exact('password'), screen: passwordScreen },
  { key: 'security', href: '#/security', nav: 'security', label: 'nav.security', match: exact('security'), screen: securityScreen },
  { key: 'twofactor', match: exact('two-factor'), screen: twoFactorScreen },
];
const alerts = { key: 'alerts', href: '#/alerts', nav: 'alerts', label: 'nav.alerts', match: exact('alerts'), screen: alertsScreen };

const byRole = {
  caseworker: [
    { key: 'cases', href: '#/cases', nav: 'cases', label: 'nav.my_cases', home: true, match: exact('cases'), screen: caseListScreen },
    { key: 'case-new', match: exact('cases', 'new'), screen: newCaseScreen },
    { key: 'case', match: withId('cases'), screen: caseFileScreen },
    { key: 'evac', match: withId('evacuations'), screen: evacuationScreen },
  ],
  coordinator: [
    { key: 'cases', href: '#/cases', nav: 'cases', label: 'nav.all_cases', home: true, match: exact('cases'), screen: caseListScreen },
    { key: 'evacs', href: '#/evacuations', nav: 'evacuations', label: 'nav.evacuations', match: exact('evacuations'), screen: boardScreen },
    { key: 'users', href: '#/users', nav: 'users', label: 'nav.users', match: exact('users'), screen: usersScreen },
    { key: 'import', href: '#/import', nav: 'import', label: 'nav.import', match: exact('import'), screen: importScreen },
    { key: 'case-new', match: exact('cases', 'new'), screen: newCaseScreen },
    { key: 'case', match: withId('cases'), screen: caseFileScreen },
    { key: 'transfer', match: withIdThen('cases', 'transfer'), screen: transferScreen },
    { key: 'evac-new', match: exact('evacuations', 'new'), screen: newEvacuationScreen },
    { key: 'evac', match: withId('evacuations'), screen: evacuationScreen },
    alerts,
  ],
  auditor: [
    { key: 'audit', href: '#/audit', nav: 'audit', label: 'nav.audit', home: true, match: exact('audit'), screen: auditScreen },
    { key: 'verify', href: '#/verify', nav: 'verify', label: 'nav.verify', match: exact('verify'), screen: verifyScreen },
  ],
  admin: [
    { key: 'users', href: '#/users', nav: 'users', label: 'nav.users', home: true, match: exact('users'), screen: usersScreen },
    { key: 'user-new', match: exact('users', 'new'), screen: newUserScreen },
    alerts,
  ],
};

/** The routes a user has. An account not yet enrolled has only the welcome screen; one the two-factor policy holds, only its enrolment. */
export function routesFor(user) {
  if (!user.enrolled) {
    return [{ key: 'welcome', href: '#/welcome', home: true, match: exact('welcome'), screen: welcomeScreen }];
  }
  const list = byRole[user.role] || [];
  if (user.role === 'coordinator' && user.status === 'pending') {
    return [{ key: 'pending', href: '#/pending', home: true, match: exact('pending'), screen: pendingScreen },
      ...common.filter((c) => c.key !== 'security')];
  }
  // the policy requires two-factor login and this account has none: only
  // setting it up (and changing the password) until a code is proven
  if (needsTwoFactor(user)) {
    return [{ key: 'twofactor', href: '#/two-factor', home: true, match: exact('two-factor'), screen: twoFactorScreen },
      { key: 'password', match: exact('password'), screen: passwordScreen }];
  }
  return [...list, ...common];
}
