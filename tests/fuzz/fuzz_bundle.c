/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * fuzz_bundle: the transfer bundle parser (server/core/bundle.h) and the
 * payload parsers of transfer.h, which POST /transfers/import runs on a
 * partner's file. The first input byte picks the mode:
 *   0  the rest is a bundle file: bundle_verify against the fixed sender
 *      key; if it verifies (the committed seeds, made by `fuzz_bundle_gen`
 *      with the same keys), it is opened with the fixed recipient key and
 *      every record goes through the order check and its parser;
 *   1  the rest is a list of plaintext records (u8 type, u16 length,
 *      payload), checked as a decrypted bundle would be, so the fuzzer
 *      reaches the order check and the JSON parsers, which the AEAD keeps
 *      it away from in mode 0;
 *   2  the rest is a bundle header for bundle_header_parse.
 * Checks: no crash, no leak, no read out of bounds, and a header that
 * parses says how many bytes it took, never more than it was given.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_bundle.h"
#include "crypto/secmem.h"
#include "server/core/transfer.h"

static int
key_of(void *arg, const char *origin, uint8_t pk[XFER_ED_PK_BYTES])
{
	struct fuzz_bundle_keys *k = arg;

	if (strcmp(origin, FUZZ_BUNDLE_SENDER) != 0)
		return -1;
	memcpy(pk, k->sender_pk, XFER_ED_PK_BYTES);
	return 0;
}

/* One decrypted record through the order check and its parser. */
static int
record(struct bundle_order *o, const struct bundle_header *h, int type,
    const uint8_t *p, size_t len, int final)
{
	struct transfer_case_rec cr;
	struct transfer_provenance prov;
	char fname[MAX_FILENAME_BYTES + 1], *pt = NULL;
	const char *mt;
	uint64_t size = 0;
	size_t pt_len = 0;

	if (type == BUNDLE_REC_ATTACH &&
	    transfer_attach_parse(p, len, fname, &mt, &size) != 0)
		return -1;
	if (bundle_order_next(o, type, len, final, size) != BUNDLE_OK)
		return -1;
	if (type == BUNDLE_REC_CASE) {
		if (transfer_case_parse(p, len, h, &cr, &prov) != 0)
			return -1;
		if (cr.person == NULL || cr.notes == NULL ||
		    strlen(cr.notes) != cr.notes_len)
			abort();
		transfer_case_rec_free(&cr);
	} else if (type == BUNDLE_REC_CONTACT) {
		if (transfer_contact_parse(p, len, &pt, &pt_len) != 0)
			return -1;
		if (pt_len == 0)
			abort();
		secmem_buf_free(pt);
	}
	return 0;
}

static void
whole_bundle(const uint8_t *data, size_t size)
{
	struct fuzz_bundle_keys k;
	struct bundle_mem m;
	struct bundle_source src;
	struct bundle_header h;
	struct bundle_reader rd;
	struct bundle_order o;
	uint8_t hash[XFER_HASH_BYTES];
	const uint8_t *p;
	size_t len;
	int type, final = 0;

	fuzz_bundle_keys(&k);
	bundle_source_mem(&src, &m, data, size);
	if (bundle_verify(&src, &h, key_of, &k, hash) != BUNDLE_OK)
		return;
	memset(&o, 0, sizeof(o));
	if (bundle_reader_open(&rd, &src, &h, k.recipient_x_pk,
	    k.recipient_x_sk) == BUNDLE_OK) {
		while (!final && bundle_reader_next(&rd, &type, &p, &len,
		    &final) == BUNDLE_OK)
			if (record(&o, &h, type, p, len, final) != 0)
				break;
	}
	bundle_reader_free(&rd);
	secmem_wipe(&k, sizeof(k));
}

static void
plain_records(const uint8_t *data, size_t size)
{
	struct bundle_header h;
	struct bundle_order o;
	size_t off = 0, len;
	int type;

	memset(&h, 0, sizeof(h));
	memcpy(h.sender, FUZZ_BUNDLE_SENDER, sizeof(FUZZ_BUNDLE_SENDER));
	memcpy(h.recipient, FUZZ_BUNDLE_RECIPIENT,
	    sizeof(FUZZ_BUNDLE_RECIPIENT));
	memcpy(h.id_hex, FUZZ_BUNDLE_ID_HEX, sizeof(FUZZ_BUNDLE_ID_HEX));
	memset(&o, 0, sizeof(o));
	while (size - off >= 3) {
		type = data[off];
		len = (size_t)data[off + 1] << 8 | data[off + 2];
		off += 3;
		if (len > size - off)
			return;
		if (record(&o, &h, type, data + off, len,
		    type == BUNDLE_REC_END) != 0)
			return;
		off += len;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bundle_header h;

	if (size < 1)
		return 0;
	switch (data[0] % 3) {
	case 0:
		whole_bundle(data + 1, size - 1);
		break;
	case 1:
		plain_records(data + 1, size - 1);
		break;
	default:
		if (bundle_header_parse(&h, data + 1, size - 1) == BUNDLE_OK &&
		    (h.len > size - 1 || h.len < BUNDLE_MAGIC_BYTES))
			abort();
		break;
	}
	return 0;
}
