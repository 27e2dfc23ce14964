/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * test_secmem: the plaintext buffers of crypto/secmem.h (issue 18). Each
 * lies in a mapping the kernel marks "dd" (MADV_DONTDUMP: left out of core
 * files and gcore dumps), small and large alike; a freed buffer is wiped,
 * which a reused (cached) one shows; sizes past the cache are unmapped.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "crypto/secmem.h"
#include "testutil.h"

/* 1 if the mapping holding p has the "dd" VmFlag, 0 if not, -1 unknown. */
static int
dontdump(const void *p)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512];
	uintptr_t a = (uintptr_t)p, lo, hi;
	int in = 0, rc = -1;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 &&
		    strchr(line, ':') != NULL && line[0] != 'V') {
			in = a >= lo && a < hi;
			continue;
		}
		if (in && strncmp(line, "VmFlags:", 8) == 0) {
			rc = strstr(line, " dd") != NULL;
			break;
		}
	}
	fclose(f);
	return rc;
}

int
main(void)
{
	static const size_t sizes[] = { 1, 100, 4000, 5000, 70000,
	    256u * 1024u, 3u * 1024u * 1024u };
	uint8_t *p, *q;
	int dd;

	if (secmem_init() != 0) {
		fail("secmem_init");
		return test_done("test_secmem");
	}
	check(secmem_buf_alloc(0) == NULL);
	check(secmem_buf_alloc(SIZE_MAX) == NULL);
	secmem_buf_free(NULL);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		if ((p = secmem_buf_alloc(sizes[i])) == NULL) {
			fail("alloc %zu", sizes[i]);
			continue;
		}
		check(secmem_buf_len(p) == sizes[i]);
		memset(p, 0xA5, sizes[i]);	/* all of it is writable */
		dd = dontdump(p);
		if (dd < 0)
			printf("skip: no VmFlags in /proc/self/smaps\n");
		else
			check(dd == 1);
		secmem_buf_free(p);
	}
	/* a freed buffer is wiped: the cache hands the same mapping back */
	p = secmem_buf_alloc(3000);
	check(p != NULL);
	if (p != NULL) {
		memset(p, 'x', 3000);
		secmem_buf_free(p);
		q = secmem_buf_alloc(3000);
		check(q == p);
		if (q != NULL) {
			size_t nz = 0;

			for (size_t i = 0; i < 3000; i++)
				nz += q[i] != 0;
			check(nz == 0);
			secmem_buf_free(q);
		}
	}
	return test_done("test_secmem");
}
