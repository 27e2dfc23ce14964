/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * keys: create, parse and open the operator wrap file. Every intermediate
 * (the KEK, the plaintext) is wiped on every path.
 */
#include <sodium.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "crypto/keys.h"

static const uint8_t KEYS_MAGIC[8] = { 'C', 'R', 'D', 'R', 'K', 'E', 'Y', 'S' };
#define KEYS_VERSION	1u
#define KEYS_PT_BYTES	(KEYS_DB_KEY_BYTES + KEYS_AUDIT_SK_BYTES)

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

static int
seal_to_buf(uint8_t out[KEYS_FILE_BYTES], const char *pass, size_t pass_len,
    const struct keys_secret *ks)
{
	uint8_t kek[32], pt[KEYS_PT_BYTES];
	uint8_t *salt = out + 28, *nonce = out + KEYS_HEADER_BYTES;
	uint64_t ops = crypto_pwhash_OPSLIMIT_MODERATE;
	uint64_t mem = crypto_pwhash_MEMLIMIT_MODERATE;
	int rc;

	memcpy(out, KEYS_MAGIC, 8);
	put_be32(out + 8, KEYS_VERSION);
	put_be64(out + 12, ops);
	put_be64(out + 20, mem);
	randombytes_buf(salt, KEYS_SALT_BYTES);
	randombytes_buf(nonce, KEYS_NONCE_BYTES);

	if ((rc = derive_kek(kek, pass, pass_len, salt, ops, mem)) != KEYS_OK)
		goto done;
	memcpy(pt, ks->db_key, KEYS_DB_KEY_BYTES);
	memcpy(pt + KEYS_DB_KEY_BYTES, ks->audit_sk, KEYS_AUDIT_SK_BYTES);
	rc = crypto_aead_xchacha20poly1305_ietf_encrypt(
	    out + KEYS_HEADER_BYTES + KEYS_NONCE_BYTES, NULL, pt, sizeof(pt),
	    out, KEYS_HEADER_BYTES, NULL, nonce, kek) == 0 ? KEYS_OK : KEYS_EIO;
done:
	sodium_memzero(kek, sizeof(kek));
	sodium_memzero(pt, sizeof(pt));
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

int
keys_wrap_create(const char *path, const char *pass, size_t pass_len,
    const struct keys_secret *ks)
{
	uint8_t buf[KEYS_FILE_BYTES];
	int rc;

	if ((rc = seal_to_buf(buf, pass, pass_len, ks)) != KEYS_OK)
		return rc;
	return write_file(path, buf, sizeof(buf));
}

int
keys_wrap_replace(const char *path, const char *pass, size_t pass_len,
    const struct keys_secret *ks)
{
	uint8_t buf[KEYS_FILE_BYTES];
	char tmp[4096];
	int n, rc;

	n = snprintf(tmp, sizeof(tmp), "%s.new", path);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return KEYS_EIO;
	if ((rc = seal_to_buf(buf, pass, pass_len, ks)) != KEYS_OK)
		return rc;
	(void)unlink(tmp);	/* a stale one from a crash */
	if ((rc = write_file(tmp, buf, sizeof(buf))) != KEYS_OK)
		return rc;
	if (rename(tmp, path) != 0) {
		unlink(tmp);
		return KEYS_EIO;
	}
	return KEYS_OK;
}

int
keys_wrap_parse(struct keys_wrap *w, const uint8_t *buf, size_t buf_len)
{
	if (buf_len != KEYS_FILE_BYTES || memcmp(buf, KEYS_MAGIC, 8) != 0)
		return KEYS_EFORMAT;
	w->version = get_be32(buf + 8);
	w->opslimit = get_be64(buf + 12);
	w->memlimit = get_be64(buf + 20);
	if (w->version != KEYS_VERSION ||
	    w->opslimit < KEYS_OPS_MIN || w->opslimit > KEYS_OPS_MAX ||
	    w->memlimit < KEYS_MEM_MIN || w->memlimit > KEYS_MEM_MAX)
		return KEYS_EFORMAT;
	memcpy(w->header, buf, KEYS_HEADER_BYTES);
	memcpy(w->salt, buf + 28, KEYS_SALT_BYTES);
	memcpy(w->nonce, buf + KEYS_HEADER_BYTES, KEYS_NONCE_BYTES);
	memcpy(w->ct, buf + KEYS_HEADER_BYTES + KEYS_NONCE_BYTES, sizeof(w->ct));
	return KEYS_OK;
}

int
keys_wrap_open(const char *path, const char *pass, size_t pass_len,
    struct keys_secret *ks)
{
	uint8_t buf[KEYS_FILE_BYTES + 1], kek[32], pt[KEYS_PT_BYTES];
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
	if ((rc = derive_kek(kek, pass, pass_len, w.salt, w.opslimit,
	    w.memlimit)) != KEYS_OK)
		goto done;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(pt, NULL, NULL, w.ct,
	    sizeof(w.ct), w.header, sizeof(w.header), w.nonce, kek) != 0) {
		rc = KEYS_EPASS;
		goto done;
	}
	memcpy(ks->db_key, pt, KEYS_DB_KEY_BYTES);
	memcpy(ks->audit_sk, pt + KEYS_DB_KEY_BYTES, KEYS_AUDIT_SK_BYTES);
	rc = KEYS_OK;
done:
	sodium_memzero(kek, sizeof(kek));
	sodium_memzero(pt, sizeof(pt));
	if (rc != KEYS_OK)
		sodium_memzero(ks, sizeof(*ks));
	return rc;
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
