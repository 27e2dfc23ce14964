/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * transfer: a case into a bundle for a partner, and a partner's bundle
 * into a new case (docs/cases.md, "Handing a case to a partner"). The
 * file format is bundle.h's; this module fills it: the case record (the
 * case's fields and the provenance), one record per contact entry, and
 * each attachment's name, type and bytes. No user id or name of the
 * sender goes in: authors are dropped, and the importing coordinator is
 * the author of everything imported.
 *
 * Both directions run inside the caller's write transaction.
 *
 * WARNING: the bundle's payload is case content in plaintext until it is
 * sealed; every buffer is wiped on every path.
 */
#ifndef CORRIDOR_TRANSFER_H
#define CORRIDOR_TRANSFER_H

#include <stddef.h>
#include <stdint.h>

#include "schema/store.h"
#include "schema/store_case.h"
#include "schema/store_partner.h"
#include "server/core/bundle.h"
#include "server/core/casefile.h"
#include "server/limits.h"

enum transfer_err {
	TRANSFER_OK = 0,
	TRANSFER_ESTORE = -1,		/* the database: 503 */
	TRANSFER_EINTEGRITY = -2,	/* stored content did not open: 500 */
	TRANSFER_ETOOBIG = -3,		/* past MAX_BUNDLE_BYTES: 413 */
	TRANSFER_EBUNDLE = -4,		/* the bundle's content is invalid: 422 */
	TRANSFER_EIO = -5,		/* the spool: 503 */
	TRANSFER_ENOMEM = -6,
};

/* What the sender states about where the case comes from. */
struct transfer_provenance {
	char		origin[BUNDLE_ORIGIN_MAX + 1];
	char		codename[CODENAME_MAX_BYTES + 1];
	uint64_t	audit_size;
	uint8_t		audit_root[32];
	int64_t		sent_at;			/* Unix seconds */
	char		reason[MAX_REASON_BYTES + 1];	/* wiped by the
							 * caller */
	int64_t		created_at;			/* the sender's case */
};

/*
 * Write case c (current key case_key) as a bundle from prov->origin to
 * partner p, through sink, signed with sign. prov carries the codename,
 * audit size and root, and reason. id and hash get the bundle's id and
 * hash. Returns a transfer_err.
 */
int transfer_build(struct store *s, const struct case_row *c,
    const uint8_t case_key[CASEFILE_KEY_BYTES],
    const struct partner_row *p, const struct transfer_provenance *prov,
    int (*sink)(void *arg, const uint8_t *b, size_t len), void *sink_arg,
    int (*sign)(uint8_t sig[XFER_SIG_BYTES],
    const uint8_t digest[XFER_HASH_BYTES]),
    uint8_t id[BUNDLE_ID_BYTES], uint8_t hash[XFER_HASH_BYTES])
    __attribute__((warn_unused_result));

/*
 * Read an opened bundle (bundle_reader_open) into a new case created by
 * actor_id, with new local keys (wrapped to the org only). c gets the new
 * row; prov what the sender stated. Returns a transfer_err.
 */
int transfer_import(struct store *s, struct bundle_reader *rd,
    const struct bundle_header *h, const char *actor_id, struct case_row *c,
    struct transfer_provenance *prov) __attribute__((warn_unused_result));

/* Parse a case record's payload (p, len bytes) for bundle h: checks the
 * bundle id, the origins and every field. The person comes back
 * serialized (jsonin_wipe_free), the notes NUL-terminated in a malloc'd
 * buffer (secmem_buf_free). For import and the fuzz target. */
struct transfer_case_rec {
	struct case_row	 c;		/* status, risk, region, household */
	char		*person;
	size_t		 person_len;
	char		*notes;
	size_t		 notes_len;
	uint64_t	 contacts, attachments;
};
int transfer_case_parse(const uint8_t *p, size_t len,
    const struct bundle_header *h, struct transfer_case_rec *out,
    struct transfer_provenance *prov) __attribute__((warn_unused_result));
void transfer_case_rec_free(struct transfer_case_rec *cr);

/* A contact record: the entry re-serialized in the stored form into *pt
 * (secmem_buf_alloc'd, *pt_len bytes). 0 or -1. */
int transfer_contact_parse(const uint8_t *p, size_t len, char **pt,
    size_t *pt_len) __attribute__((warn_unused_result));

/* An attachment record: filename, allowed media type, size. 0 or -1. */
int transfer_attach_parse(const uint8_t *p, size_t len,
    char filename[MAX_FILENAME_BYTES + 1], const char **media_type,
    uint64_t *size) __attribute__((warn_unused_result));

#endif
