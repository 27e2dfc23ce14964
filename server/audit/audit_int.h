/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * audit_int: between audit.c (the running log) and audit_open.c (its
 * start-up checks). Not for other modules.
 */
#ifndef CORRIDOR_AUDIT_INT_H
#define CORRIDOR_AUDIT_INT_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/merkle.h"
#include "crypto/note.h"

/* A log that passed the start-up checks. */
struct audit_start {
	struct merkle_frontier	 tree;		/* rebuilt from the leaves */
	uint64_t		 last_time_ms;	/* of the last entry */
	struct note_vkey	 vk;		/* the current key, origin */
	int			 have_note;	/* a checkpoint is stored */
	const char		*note;		/* the latest, note_len bytes */
	size_t			 note_len;
	uint64_t		 note_size;
	int			 note_current_key;	/* signed by vk */
	int			 file_holds_note;	/* the file has it too */
	const char		*state_path;	/* "" for none */
};

/* Make st the running log, with a locked copy of sk, and install the
 * store's write hook. -1 if a log is open or memory cannot be locked. */
int audit_install(const struct audit_start *st,
    const uint8_t sk[NOTE_SK_BYTES]) __attribute__((warn_unused_result));

int audit_is_open(void);

#endif
