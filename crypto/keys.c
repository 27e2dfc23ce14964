/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * keys: create, parse and open the wrap files (the K_db file, the signing
 * key file, and the combined version-1 file of older directories). Every
 * intermediate (the KEK, the plaintext) is wiped on every path.
 */
#include <sodium.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "crypto/keys.h"

static const uint8_t KEYS_MAGIC[8] = { 'C', 'R', 'D', 'R', 'K', 'E', 'Y', 'S' };
static const uint8_t SIGN_MAGIC[8] = { 'C', 'R', 'D', 'R', 'S', 'I', 'G', 'N' };
static const uint8_t INDEX_MAGIC[8] = { 'C', 'R', 'D', 'R', 'I', 'N', 'D', 'X' };
#define KEYS_VERSION_COMBINED	1u	/* CRDRKEYS: K_db || signing key */
#define KEYS_VERSION_DB		2u	/* CRDRKEYS: K_db only */
#define SIGN_VERSION		1u	/* CRDRSIGN: signing key only */
#define INDEX_VERSION		1u	/* CRDRINDX: blind-index key only */
#define KEYS_PT_MAX	(KEYS_DB_KEY_BYTES + KEYS_AUDIT_SK_BYTES)

/* Limits we accept from a file: at least MODERATE, at most SENSITIVE, so a
 * crafted file can neither weaken the KDF nor demand absurd memory. */
#define KEYS_OPS_MIN	crypto_pwhash_OPSLIMIT_MODERATE
#define KEYS_OPS_MAX	crypto_pwhash_OPSLIMIT_SENSITIVE
#define KEYS_MEM_MIN	crypto_pwhash_MEMLIMIT_MODERATE
#define KEYS_MEM_MAX	crypto_pwhash_MEMLIMIT_SENSITIVE

static void
put_be32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = v;
}

static void
put_be64(uint8_t *p, uint64_t v)
{
	put_be32(p, (uint32_t)(v >> 32));
	put_be32(p + 4, (uint32_t)v);
}

static uint32_t
get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static uint64_t
get_be64(const uint8_t *p)
{
	return (uint64_t)get_be32(p) << 32 | get_be32(p + 4);
}

void
keys_new_secret(struct keys_secret *ks)
{
	uint8_t pk[crypto_sign_PUBLICKEYBYTES];

	randombytes_buf(ks->db_key, sizeof(ks->db_key));
	crypto_sign_keypair(pk, ks->audit_sk);
	ks->combined = 0;
}

void
keys_audit_public(uint8_t pk[KEYS_AUDIT_PK_BYTES], const struct keys_secret *ks)
{
	crypto_sign_ed25519_sk_to_pk(pk, ks->audit_sk);
}

static int
derive_kek(uint8_t kek[32], const char *pass, size_t pass_len,
    const uint8_t salt[KEYS_SALT_BYTES], uint64_t ops, uint64_t mem)
{
	if (crypto_pwhash(kek, 32, pass, pass_len, salt, ops, (size_t)mem,
	    crypto_pwhash_ALG_ARGON2ID13) != 0)
		return KEYS_ENOMEM;
	return KEYS_OK;
}

/* The layout of a kind: magic, version, plaintext length. */
static void
kind_layout(int kind, const uint8_t **magic, uint32_t *version,
    size_t *pt_len)
{
	switch (kind) {
	case KEYS_KIND_SIGN:
		*magic = SIGN_MAGIC;
		*version = SIGN_VERSION;
		*pt_len = KEYS_AUDIT_SK_BYTES;
		break;
	case KEYS_KIND_INDEX:
		*magic = INDEX_MAGIC;
		*version = INDEX_VERSION;
		*pt_len = KEYS_INDEX_KEY_BYTES;
		break;
	case KEYS_KIND_COMBINED:
		*magic = KEYS_MAGIC;
		*version = KEYS_VERSION_COMBINED;
		*pt_len = KEYS_DB_KEY_BYTES + KEYS_AUDIT_SK_BYTES;
		break;
	default:
		*magic = KEYS_MAGIC;
		*version = KEYS_VERSION_DB;
		*pt_len = KEYS_DB_KEY_BYTES;
		break;
	}
}

/* Seal pt (the kind's plaintext) into out; *out_len gets the file size. */
static int
seal_to_buf(uint8_t out[KEYS_FILE_MAX_BYTES], size_t *out_len, int kind,
    const char *pass, size_t pass_len, const uint8_t *pt)
{
	uint8_t kek[32];
	uint8_t *salt = out + 28, *nonce = out + KEYS_HEADER_BYTES;
	uint64_t ops = crypto_pwhash_OPSLIMIT_MODERATE;
	uint64_t mem = crypto_pwhash_MEMLIMIT_MODERATE;
	const uint8_t *magic;
	uint32_t version;
	size_t pt_len;
	int rc;

	kind_layout(kind, &magic, &version, &pt_len);
	memcpy(out, magic, 8);
	put_be32(out + 8, version);
	put_be64(out + 12, ops);
	put_be64(out + 20, mem);
	randombytes_buf(salt, KEYS_SALT_BYTES);
	randombytes_buf(nonce, KEYS_NONCE_BYTES);

	if ((rc = derive_kek(kek, pass, pass_len, salt, ops, mem)) != KEYS_OK)
		goto done;
	rc = crypto_aead_xchacha20poly1305_ietf_encrypt(
	    out + KEYS_HEADER_BYTES + KEYS_NONCE_BYTES, NULL, pt, pt_len,
	    out, KEYS_HEADER_BYTES, NULL, nonce, kek) == 0 ? KEYS_OK : KEYS_EIO;
	*out_len = KEYS_HEADER_BYTES + KEYS_NONCE_BYTES + pt_len +
	    KEYS_TAG_BYTES;
done:
	sodium_memzero(kek, sizeof(kek));
	return rc;
}

static int
write_file(const char *path, const uint8_t *buf, size_t len)
{
	size_t off = 0;
	ssize_t n;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	if (fd == -1)
		return errno == EEXIST ? KEYS_EEXIST : KEYS_EIO;
	while (off < len) {
		n = write(fd, buf + off, len - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			goto fail;
		off += (size_t)n;
	}
	if (fsync(fd) != 0)
		goto fail;
	if (close(fd) != 0) {
		unlink(path);
		return KEYS_EIO;
	}
	return KEYS_OK;
fail:
	close(fd);
	unlink(path);
	return KEYS_EIO;
}

/* The plaintext of the K_db file for ks, and its kind. */
static int
db_plaintext(uint8_t pt[KEYS_PT_MAX], const struct keys_secret *ks)
{
	memcpy(pt, ks->db_key, KEYS_DB_KEY_BYTES);
	if (!ks->combined)
		return KEYS_KIND_DB;
	memcpy(pt + KEYS_DB_KEY_BYTES, ks->audit_sk, KEYS_AUDIT_SK_BYTES);
	return KEYS_KIND_COMBINED;
}

static int
create_kind(const char *path, int kind, const char *pass, size_t pass_len,
    const uint8_t *pt)
{
	uint8_t buf[KEYS_FILE_MAX_BYTES];
	size_t len = 0;
	int rc;

	if ((rc = seal_to_buf(buf, &len, kind, pass, pass_len, pt)) != KEYS_OK)
		return rc;
	return write_file(path, buf, len);
}

static int
replace_kind(const char *path, int kind, const char *pass, size_t pass_len,
    const uint8_t *pt)
{
	uint8_t buf[KEYS_FILE_MAX_BYTES];
	char tmp[4096];
	size_t len = 0;
	int n, rc;

	n = snprintf(tmp, sizeof(tmp), "%s.new", path);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return KEYS_EIO;
	if ((rc = seal_to_buf(buf, &len, kind, pass, pass_len, pt)) != KEYS_OK)
		return rc;
	(void)unlink(tmp);	/* a stale one from a crash */
	if ((rc = write_file(tmp, buf, len)) != KEYS_OK)
		return rc;
	if (rename(tmp, path) != 0) {
		unlink(tmp);
		return KEYS_EIO;
	}
	return KEYS_OK;
}

int
keys_wrap_create(const char *path, const char *pass, size_t pass_len,
    const struct keys_secret *ks)
{
	uint8_t pt[KEYS_PT_MAX];
	int rc = create_kind(path, db_plaintext(pt, ks), pass, pass_len, pt);

	sodium_memzero(pt, sizeof(pt));
	return rc;
}

int
keys_wrap_replace(const char *path, const char *pass, size_t pass_len,
    const struct keys_secret *ks)
{
	uint8_t pt[KEYS_PT_MAX];
	int rc = replace_kind(path, db_plaintext(pt, ks), pass, pass_len, pt);

	sodium_memzero(pt, sizeof(pt));
	return rc;
}

int
keys_sign_create(const char *path, const char *pass, size_t pass_len,
    const uint8_t sk[KEYS_AUDIT_SK_BYTES])
{
	return create_kind(path, KEYS_KIND_SIGN, pass, pass_len, sk);
}

int
keys_sign_replace(const char *path, const char *pass, size_t pass_len,
    const uint8_t sk[KEYS_AUDIT_SK_BYTES])
{
	return replace_kind(path, KEYS_KIND_SIGN, pass, pass_len, sk);
}

int
keys_wrap_parse(struct keys_wrap *w, const uint8_t *buf, size_t buf_len)
{
	const uint8_t *magic;
	uint32_t version;
	size_t pt_len;
	int kind;

	if (buf_len < KEYS_HEADER_BYTES)
		return KEYS_EFORMAT;
	version = get_be32(buf + 8);
	if (memcmp(buf, SIGN_MAGIC, 8) == 0 && version == SIGN_VERSION)
		kind = KEYS_KIND_SIGN;
	else if (memcmp(buf, INDEX_MAGIC, 8) == 0 && version == INDEX_VERSION)
		kind = KEYS_KIND_INDEX;
	else if (memcmp(buf, KEYS_MAGIC, 8) == 0 &&
	    version == KEYS_VERSION_DB)
		kind = KEYS_KIND_DB;
	else if (memcmp(buf, KEYS_MAGIC, 8) == 0 &&
	    version == KEYS_VERSION_COMBINED)
		kind = KEYS_KIND_COMBINED;
	else
		return KEYS_EFORMAT;
	kind_layout(kind, &magic, &version, &pt_len);
	if (buf_len != KEYS_HEADER_BYTES + KEYS_NONCE_BYTES + pt_len +
	    KEYS_TAG_BYTES)
		return KEYS_EFORMAT;
	w->kind = kind;
	w->version = version;
	w->opslimit = get_be64(buf + 12);
	w->memlimit = get_be64(buf + 20);
	if (w->opslimit < KEYS_OPS_MIN || w->opslimit > KEYS_OPS_MAX ||
	    w->memlimit < KEYS_MEM_MIN || w->memlimit > KEYS_MEM_MAX)
		return KEYS_EFORMAT;
	memcpy(w->header, buf, KEYS_HEADER_BYTES);
	memcpy(w->salt, buf + 28, KEYS_SALT_BYTES);
	memcpy(w->nonce, buf + KEYS_HEADER_BYTES, KEYS_NONCE_BYTES);
	w->ct_len = pt_len + KEYS_TAG_BYTES;
	memcpy(w->ct, buf + KEYS_HEADER_BYTES + KEYS_NONCE_BYTES, w->ct_len);
	return KEYS_OK;
}

/* Read path, parse it, and unseal it into pt (*kind set). */
static int
open_any(const char *path, const char *pass, size_t pass_len,
    uint8_t pt[KEYS_PT_MAX], int *kind)
{
	uint8_t buf[KEYS_FILE_MAX_BYTES + 1], kek[32];
	struct keys_wrap w;
	size_t off = 0;
	ssize_t n;
	int fd, rc;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return KEYS_EIO;
	while (off < sizeof(buf)) {
		n = read(fd, buf + off, sizeof(buf) - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			close(fd);
			return KEYS_EIO;
		}
		if (n == 0)
			break;
		off += (size_t)n;
	}
	close(fd);
	if ((rc = keys_wrap_parse(&w, buf, off)) != KEYS_OK)
		return rc;
	*kind = w.kind;
	if ((rc = derive_kek(kek, pass, pass_len, w.salt, w.opslimit,
	    w.memlimit)) != KEYS_OK)
		goto done;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(pt, NULL, NULL, w.ct,
	    w.ct_len, w.header, sizeof(w.header), w.nonce, kek) != 0) {
		rc = KEYS_EPASS;
		goto done;
	}
	rc = KEYS_OK;
done:
	sodium_memzero(kek, sizeof(kek));
	return rc;
}

int
keys_wrap_open(const char *path, const char *pass, size_t pass_len,
    struct keys_secret *ks)
{
	uint8_t pt[KEYS_PT_MAX];
	int kind = 0, rc;

	sodium_memzero(ks, sizeof(*ks));
	rc = open_any(path, pass, pass_len, pt, &kind);
	if (rc == KEYS_OK && kind != KEYS_KIND_DB && kind != KEYS_KIND_COMBINED)
		rc = KEYS_EFORMAT;
	if (rc == KEYS_OK) {
		memcpy(ks->db_key, pt, KEYS_DB_KEY_BYTES);
		if (kind == KEYS_KIND_COMBINED) {
			memcpy(ks->audit_sk, pt + KEYS_DB_KEY_BYTES,
			    KEYS_AUDIT_SK_BYTES);
			ks->combined = 1;
		}
	}
	sodium_memzero(pt, sizeof(pt));
	if (rc != KEYS_OK)
		sodium_memzero(ks, sizeof(*ks));
	return rc;
}

/* Open a single-key file of kind `want` into out (len bytes). */
static int
open_single(const char *path, const char *pass, size_t pass_len, int want,
    uint8_t *out, size_t len)
{
	uint8_t pt[KEYS_PT_MAX];
	int kind = 0, rc;

	rc = open_any(path, pass, pass_len, pt, &kind);
	if (rc == KEYS_OK && kind != want)
		rc = KEYS_EFORMAT;
	if (rc == KEYS_OK)
		memcpy(out, pt, len);
	else
		sodium_memzero(out, len);
	sodium_memzero(pt, sizeof(pt));
	return rc;
}

int
keys_sign_open(const char *path, const char *pass, size_t pass_len,
    uint8_t sk[KEYS_AUDIT_SK_BYTES])
{
	return open_single(path, pass, pass_len, KEYS_KIND_SIGN, sk,
	    KEYS_AUDIT_SK_BYTES);
}

int
keys_index_create(const char *path, const char *pass, size_t pass_len,
    const uint8_t key[KEYS_INDEX_KEY_BYTES])
{
	return create_kind(path, KEYS_KIND_INDEX, pass, pass_len, key);
}

int
keys_index_replace(const char *path, const char *pass, size_t pass_len,
    const uint8_t key[KEYS_INDEX_KEY_BYTES])
{
	return replace_kind(path, KEYS_KIND_INDEX, pass, pass_len, key);
}

int
keys_index_open(const char *path, const char *pass, size_t pass_len,
    uint8_t key[KEYS_INDEX_KEY_BYTES])
{
	return open_single(path, pass, pass_len, KEYS_KIND_INDEX, key,
	    KEYS_INDEX_KEY_BYTES);
}

const char *
keys_strerror(int err)
{
	switch (err) {
	case KEYS_OK:		return "ok";
	case KEYS_EIO:		return "cannot read or write the key file";
	case KEYS_EFORMAT:	return "key file is not a corridor key file";
	case KEYS_EPASS:	return "wrong passphrase, or the key file was altered";
	case KEYS_EEXIST:	return "key file already exists";
	case KEYS_ENOMEM:	return "not enough memory for Argon2id";
	}
	return "unknown error";
}
