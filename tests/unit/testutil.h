/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* testutil: the fail() macro and small helpers shared by unit tests. */
#ifndef CORRIDOR_TESTUTIL_H
#define CORRIDOR_TESTUTIL_H

#include <stdio.h>
#include <stdlib.h>

static int test_failures;
static int test_passes;

#define fail(...) do {							\
	fprintf(stderr, "%s:%d: FAIL: ", __FILE__, __LINE__);		\
	fprintf(stderr, __VA_ARGS__);					\
	fputc('\n', stderr);						\
	test_failures++;						\
} while (0)

#define check(cond) do {						\
	if (!(cond))							\
		fail("%s", #cond);					\
	else								\
		test_passes++;						\
} while (0)

/* Print the closing line CI reads and return the exit status. */
static inline int
test_done(const char *name)
{
	printf("%s: %d passed, %d failed\n", name, test_passes, test_failures);
	return test_failures == 0 ? 0 : 1;
}

#endif
