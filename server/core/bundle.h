/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * bundle: the transfer bundle file, apart from what goes in it
 * (transfer.c) and from HTTP. docs/cases.md, "The bundle format", is the
 * byte-level description; every integer is big-endian.
 *
 *   "CRDRXFR1"                        magic and version
 *   u8 n + n bytes                    sender origin (its audit log origin)
 *   u8 n + n bytes                    recipient origin
 *   16 bytes                          bundle id, random
 *   u16 n + n bytes                   K_b sealed to the recipient's X25519
 *                                     key (crypto/seal.h seal_msg, kind
 *                                     "transfer", object the id in hex)
 *   24 bytes                          secretstream header under K_b
 *   records: u32 n + n bytes          one secretstream message each, its
 *                                     plaintext a type byte and a payload;
 *                                     associated data "corridor/transfer/
 *                                     v1|<id hex>"; the last is END, FINAL
 *   64 bytes                          Ed25519 signature by the sender's
 *                                     instance key over the SHA-256 of
 *                                     every byte before it (crypto/xfer.h)
 *
 * The bundle hash (audited on both sides) is the SHA-256 of the whole
 * file, signature included. Record order: CASE first, then CONTACT and
 * ATTACH records, each ATTACH followed by DATA records that add up to its
 * size, then END. The reader enforces the framing and the order; the
 * caller parses the payloads (transfer.c, bundle_*_parse there).
 *
 * Memory: a writer or reader holds two records (BUNDLE_RECORD_MAX_BYTES)
 * and a read buffer, whatever the bundle's size.
 */
#ifndef CORRIDOR_BUNDLE_H
#define CORRIDOR_BUNDLE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "crypto/seal.h"
#include "crypto/stream.h"
#include "crypto/xfer.h"

#define BUNDLE_MAGIC		"CRDRXFR1"
#define BUNDLE_MAGIC_BYTES	8u
#define BUNDLE_ID_BYTES		16u
#define BUNDLE_ORIGIN_MAX	255u
/* magic + 2 origins + id + sealed key + stream header */
#define BUNDLE_HEADER_MAX	(BUNDLE_MAGIC_BYTES + 2u * (1u + \
				 BUNDLE_ORIGIN_MAX) + BUNDLE_ID_BYTES + 2u + \
				 SEAL_MSG_BLOB_MAX + STREAM_HEADER_BYTES)
#define BUNDLE_SEAL_KIND	"transfer"

enum bundle_rec {
	BUNDLE_REC_CASE = 1,	/* JSON: the case and provenance */
	BUNDLE_REC_CONTACT = 2,	/* JSON: one contact entry */
	BUNDLE_REC_ATTACH = 3,	/* JSON: one attachment's name, type, size */
	BUNDLE_REC_DATA = 4,	/* raw bytes of the current attachment */
	BUNDLE_REC_END = 5,	/* empty; FINAL */
};

enum bundle_err {
	BUNDLE_OK = 0,
	BUNDLE_EFORMAT = -1,	/* not a well-formed bundle */
	BUNDLE_ESIG = -2,	/* the signature does not verify */
	BUNDLE_ESEAL = -3,	/* not sealed to us: K_b does not open */
	BUNDLE_ECRYPT = -4,	/* a record does not open (tampered) */
	BUNDLE_EIO = -5,	/* the source or sink failed */
	BUNDLE_ENOMEM = -6,
	BUNDLE_ETOOBIG = -7,	/* past MAX_BUNDLE_BYTES */
};

/* The plain header. No secrets. */
struct bundle_header {
	char	 sender[BUNDLE_ORIGIN_MAX + 1];		/* NUL-terminated */
	char	 recipient[BUNDLE_ORIGIN_MAX + 1];
	uint8_t	 id[BUNDLE_ID_BYTES];
	char	 id_hex[2u * BUNDLE_ID_BYTES + 1u];
	uint8_t	 sealed[SEAL_MSG_BLOB_MAX];
	size_t	 sealed_len;
	uint8_t	 stream_header[STREAM_HEADER_BYTES];
	size_t	 len;					/* its bytes */
};

/* Parse the header at the start of buf (buf_len bytes). BUNDLE_OK or
 * BUNDLE_EFORMAT (also for a header cut short). Origins are printable
 * ASCII without spaces (0x21..0x7e). */
int bundle_header_parse(struct bundle_header *h, const uint8_t *buf,
    size_t buf_len) __attribute__((warn_unused_result));

/* --- writing ---------------------------------------------------------------- */

struct bundle_writer {
	int		(*sink)(void *arg, const uint8_t *p, size_t len);
	void		*arg;
	struct xfer_hash body;		/* every byte, for the signature */
	struct xfer_hash whole;		/* every byte, for the bundle hash */
	struct stream_state st;
	uint8_t		 id[BUNDLE_ID_BYTES];
	char		 ad[64];
	size_t		 ad_len;
	uint8_t		*rec;		/* 4 + type + record + ABYTES */
	uint64_t	 size;
	int		 final;
	int		 err;		/* first bundle_err */
};

/*
 * Start a bundle from sender to recipient (origins, NUL-terminated),
 * sealed to the recipient's instance key recipient_pk (Ed25519; its
 * X25519 form is derived). sink receives every byte in order. Fills
 * w->id with a fresh random id. Free w with bundle_writer_free on every
 * path. Returns a bundle_err.
 */
int bundle_writer_begin(struct bundle_writer *w,
    int (*sink)(void *arg, const uint8_t *p, size_t len), void *arg,
    const char *sender, const char *recipient,
    const uint8_t recipient_pk[XFER_ED_PK_BYTES])
    __attribute__((warn_unused_result));

/* Append a record (len <= BUNDLE_RECORD_MAX_BYTES). END is the last:
 * it is tagged FINAL. Returns a bundle_err. */
int bundle_writer_put(struct bundle_writer *w, int type, const uint8_t *p,
    size_t len) __attribute__((warn_unused_result));

/* After END: sign with sign(sig, digest) (audit_instance_sign, or a test
 * key) and write the signature; hash gets the bundle hash. */
int bundle_writer_finish(struct bundle_writer *w,
    int (*sign)(uint8_t sig[XFER_SIG_BYTES],
    const uint8_t digest[XFER_HASH_BYTES]), uint8_t hash[XFER_HASH_BYTES])
    __attribute__((warn_unused_result));

void bundle_writer_free(struct bundle_writer *w);

/* --- reading ---------------------------------------------------------------- */

/* Where a bundle is read from: read(arg, buf, max) gives > 0 bytes, 0 at
 * the end, -1 on error; max is at least BUNDLE_READ_BYTES. rewind(arg)
 * goes back to the first byte (0 or -1). */
#define BUNDLE_READ_BYTES	(64u * 1024u)
struct bundle_source {
	ssize_t	(*read)(void *arg, uint8_t *buf, size_t max);
	int	(*rewind)(void *arg);
	void	*arg;
	uint64_t size;			/* total bytes */
};

/* A source over bytes in memory (the fuzz target, tests, tools): m holds
 * the position; p must outlive src. */
struct bundle_mem {
	const uint8_t	*p;
	size_t		 len, off;
};
void bundle_source_mem(struct bundle_source *src, struct bundle_mem *m,
    const uint8_t *p, size_t len);

/*
 * Pass one: rewind, parse the header, walk the record framing (lengths only) to
 * exactly the signature, and verify the signature with the key that
 * key_of(arg, sender origin, pk) finds for the sender (0 found, -1
 * unknown sender: BUNDLE_ESIG). h gets the header, hash the bundle hash.
 * Returns a bundle_err; nothing is decrypted.
 */
int bundle_verify(const struct bundle_source *src, struct bundle_header *h,
    int (*key_of)(void *arg, const char *origin,
    uint8_t pk[XFER_ED_PK_BYTES]), void *key_arg,
    uint8_t hash[XFER_HASH_BYTES]) __attribute__((warn_unused_result));

/* The order of records, checked as they come (also on its own, for the
 * fuzz target). */
struct bundle_order {
	int		 state;		/* 0 start, 1 body, 2 in attachment,
					 * 3 ended */
	uint64_t	 want, got;	/* bytes of the current attachment */
	uint64_t	 contacts, attachments;
};
/* type, payload length and FINAL flag of the next record; size is the
 * declared size when type is ATTACH. BUNDLE_OK or BUNDLE_EFORMAT. */
int bundle_order_next(struct bundle_order *o, int type, size_t len,
    int final, uint64_t attach_size) __attribute__((warn_unused_result));

struct bundle_reader {
	const struct bundle_source *src;
	struct stream_state st;
	char		 ad[64];
	size_t		 ad_len;
	uint8_t		*buf;		/* BUNDLE_READ_BYTES */
	size_t		 buf_len, buf_off;
	uint64_t	 pos, body_end;
	uint8_t		*ct;		/* one record's ciphertext */
	uint8_t		*pt;		/* its plaintext (secret) */
	int		 done;
};

/*
 * Pass two (after bundle_verify): rewind, open K_b with our X25519 key
 * pair and start the records. Free r with bundle_reader_free on every
 * path. Returns a bundle_err (BUNDLE_ESEAL: not for us).
 */
int bundle_reader_open(struct bundle_reader *r,
    const struct bundle_source *src, const struct bundle_header *h,
    const uint8_t x_pk[XFER_X_PK_BYTES], const uint8_t x_sk[XFER_X_SK_BYTES])
    __attribute__((warn_unused_result));

/* The next record: *type, and *p / *len its payload (borrowed until the
 * next call). *final is 1 on the FINAL record. Returns a bundle_err. */
int bundle_reader_next(struct bundle_reader *r, int *type, const uint8_t **p,
    size_t *len, int *final) __attribute__((warn_unused_result));

void bundle_reader_free(struct bundle_reader *r);

const char *bundle_strerror(int err);

#endif
