/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* audit_verify: `corridor audit verify`, offline verification of an export. */
#ifndef CORRIDOR_AUDIT_VERIFY_H
#define CORRIDOR_AUDIT_VERIFY_H

/* argv[0] is "verify". Returns the exit status. */
int audit_verify_cli(int argc, char **argv);

#endif
