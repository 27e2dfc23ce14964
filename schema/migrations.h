/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* migrations: the numbered SQL files, embedded at build time. */
#ifndef CORRIDOR_MIGRATIONS_H
#define CORRIDOR_MIGRATIONS_H

struct migration {
	int		 version;
	const char	*name;
	const char	*sql;
};

extern const struct migration migrations[];
extern const unsigned migrations_count;

#endif
