/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * replay: feed every file of the given corpus directories (or single
 * files) to LLVMFuzzerTestOneInput once, so the normal test suite runs
 * the committed corpora without libFuzzer (`meson test --suite
 * fuzz-replay`). A target that finds a bug aborts, which fails the test.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz_common.h"

/* Largest input replayed: well above every parser's own cap. */
#define REPLAY_MAX_BYTES	(4u * 1024u * 1024u)

static int
replay_file(const char *path, uint8_t *buf)
{
	FILE *f;
	size_t n;

	if ((f = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "replay: cannot open %s\n", path);
		return -1;
	}
	n = fread(buf, 1, REPLAY_MAX_BYTES, f);
	if (ferror(f) || (n == REPLAY_MAX_BYTES && fgetc(f) != EOF)) {
		fprintf(stderr, "replay: cannot read %s (or too large)\n",
		    path);
		fclose(f);
		return -1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, n);
	return 0;
}

static int
replay_path(const char *path, uint8_t *buf, unsigned *count)
{
	struct dirent *de;
	struct stat st;
	char sub[4096];
	DIR *d;
	int rc = 0, n;

	if (stat(path, &st) != 0) {
		fprintf(stderr, "replay: no such path %s\n", path);
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		(*count)++;
		return replay_file(path, buf);
	}
	if ((d = opendir(path)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		n = snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
		if (n < 0 || (size_t)n >= sizeof(sub)) {
			rc = -1;
			continue;
		}
		if (replay_path(sub, buf, count) != 0)
			rc = -1;
	}
	closedir(d);
	return rc;
}

int
main(int argc, char **argv)
{
	uint8_t *buf;
	unsigned count = 0;
	int rc = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: replay CORPUS_DIR_OR_FILE...\n");
		return 2;
	}
	if ((buf = malloc(REPLAY_MAX_BYTES)) == NULL)
		return 1;
	for (int i = 1; i < argc; i++)
		if (replay_path(argv[i], buf, &count) != 0)
			rc = 1;
	free(buf);
	printf("replay: %u inputs\n", count);
	/* An empty corpus means the test ran nothing: that is a failure. */
	return rc != 0 || count == 0 ? 1 : 0;
}
