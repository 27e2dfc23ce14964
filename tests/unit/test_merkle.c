/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * test_merkle: the RFC 6962 test vectors of the certificate-transparency
 * reference implementation (as carried by transparency-dev/merkle), then
 * an exhaustive check on every tree up to MAX_N leaves: the frontier and
 * the proof generators agree with a naive recursive transcription of
 * RFC 9162, every genuine proof verifies, and no corrupted proof does.
 * The accelerated SHA-256 behind the tree hashes must equal libsodium's.
 */
#include <stdint.h>
#include <string.h>

#include "crypto/merkle.h"
#include "crypto/secmem.h"
#include "crypto/sha256.h"
#include "testutil.h"

#define H	MERKLE_HASH_BYTES
#define MAX_N	33u	/* crosses the 32 boundary */

/* --- helpers ------------------------------------------------------------- */

static int
unhex(uint8_t *out, size_t out_len, const char *hex)
{
	if (strlen(hex) != out_len * 2)
		return -1;
	for (size_t i = 0; i < out_len; i++) {
		unsigned v;

		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (uint8_t)v;
	}
	return 0;
}

static void
hx(uint8_t out[H], const char *hex)
{
	if (unhex(out, H, hex) != 0)
		fail("bad hex in test vector: %s", hex);
}

struct leafset {
	const uint8_t *hashes;	/* n * 32 */
	uint64_t n;
	unsigned calls;
	int fail_at;		/* index whose read fails, or -1 */
};

static int
get_leaf(void *arg, uint64_t index, uint8_t out[H])
{
	struct leafset *ls = arg;

	ls->calls++;
	if (index >= ls->n || (ls->fail_at >= 0 && index == (uint64_t)ls->fail_at))
		return -1;
	memcpy(out, ls->hashes + index * H, H);
	return 0;
}

/* --- RFC 6962 vectors ---------------------------------------------------- */

/* The eight test leaves of the CT reference implementation. */
static const struct {
	const char *hex;
	size_t len;
} rfc_leaves[8] = {
	{ "", 0 },
	{ "00", 1 },
	{ "10", 1 },
	{ "2021", 2 },
	{ "3031", 2 },
	{ "40414243", 4 },
	{ "5051525354555657", 8 },
	{ "606162636465666768696a6b6c6d6e6f", 16 },
};

/* Roots of the trees of sizes 0 to 8 over those leaves. */
static const char *const rfc_roots[9] = {
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
	"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
	"aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
	"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
	"4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
	"76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
	"ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
	"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

/* Published inclusion paths: (leaf index, tree size, path). The reference
 * numbers leaves from 1; these are 0-based. */
static const struct {
	uint64_t index, size;
	unsigned n;
	const char *path[3];
} rfc_inclusion[] = {
	{ 0, 1, 0, { NULL } },
	{ 0, 8, 3, {
	  "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
	  "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
	  "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4" } },
	{ 5, 8, 3, {
	  "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
	  "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
	  "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7" } },
	{ 2, 3, 1, {
	  "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125" } },
	{ 1, 5, 3, {
	  "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
	  "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
	  "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b" } },
};

/* Published consistency paths: (first size, second size, path). */
static const struct {
	uint64_t first, second;
	unsigned n;
	const char *path[3];
} rfc_consistency[] = {
	{ 1, 1, 0, { NULL } },
	{ 1, 8, 3, {
	  "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
	  "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
	  "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4" } },
	{ 6, 8, 3, {
	  "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
	  "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
	  "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7" } },
	{ 2, 5, 2, {
	  "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
	  "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b" } },
	{ 6, 7, 3, {
	  "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
	  "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
	  "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7" } },
};

static uint8_t rfc_hashes[8][H];
static uint8_t rfc_root[9][H];

static void
test_rfc_roots(void)
{
	struct merkle_frontier f;
	uint8_t data[16], root[H], want[H], empty[H];

	merkle_frontier_init(&f);
	merkle_frontier_root(&f, root);
	hx(want, rfc_roots[0]);
	check(memcmp(root, want, H) == 0);
	merkle_empty_root(empty);
	check(memcmp(empty, want, H) == 0);
	memcpy(rfc_root[0], want, H);

	for (unsigned i = 0; i < 8; i++) {
		check(unhex(data, rfc_leaves[i].len, rfc_leaves[i].hex) == 0);
		merkle_leaf_hash(rfc_hashes[i], rfc_leaves[i].len ? data : NULL,
		    rfc_leaves[i].len);
		check(merkle_frontier_append(&f, rfc_hashes[i]) == 0);
		merkle_frontier_root(&f, root);
		hx(want, rfc_roots[i + 1]);
		memcpy(rfc_root[i + 1], want, H);
		if (memcmp(root, want, H) != 0)
			fail("frontier root for size %u", i + 1);
		else
			test_passes++;
	}
	for (unsigned n = 0; n <= 8; n++) {
		check(merkle_root(root, &rfc_hashes[0][0], n) == 0);
		check(memcmp(root, rfc_root[n], H) == 0);
	}
	/* the anchor: the size-8 root begins 5dc9da79 */
	check(rfc_root[8][0] == 0x5d && rfc_root[8][1] == 0xc9 &&
	    rfc_root[8][2] == 0xda && rfc_root[8][3] == 0x79);
	/* the leaf hash of the empty entry is the size-1 root */
	check(memcmp(rfc_hashes[0], rfc_root[1], H) == 0);
}

static void
test_rfc_inclusion(void)
{
	struct leafset ls = { &rfc_hashes[0][0], 8, 0, -1 };
	uint8_t proof[MERKLE_PROOF_MAX_BYTES], want[3 * H];
	size_t len;

	for (size_t t = 0; t < sizeof(rfc_inclusion) / sizeof(rfc_inclusion[0]);
	    t++) {
		uint64_t m = rfc_inclusion[t].index, n = rfc_inclusion[t].size;

		for (unsigned i = 0; i < rfc_inclusion[t].n; i++)
			hx(want + i * H, rfc_inclusion[t].path[i]);
		len = 99;
		check(merkle_inclusion_proof(proof, sizeof(proof), &len, m, n,
		    get_leaf, &ls) == 0);
		check(len == rfc_inclusion[t].n * H);
		check(len == 0 || memcmp(proof, want, len) == 0);
		check(merkle_inclusion_verify(rfc_hashes[m], m, n, want,
		    rfc_inclusion[t].n * H, rfc_root[n]) == 0);
	}
}

static void
test_rfc_consistency(void)
{
	struct leafset ls = { &rfc_hashes[0][0], 8, 0, -1 };
	uint8_t proof[MERKLE_PROOF_MAX_BYTES], want[3 * H];
	size_t len;

	for (size_t t = 0;
	    t < sizeof(rfc_consistency) / sizeof(rfc_consistency[0]); t++) {
		uint64_t a = rfc_consistency[t].first;
		uint64_t b = rfc_consistency[t].second;

		for (unsigned i = 0; i < rfc_consistency[t].n; i++)
			hx(want + i * H, rfc_consistency[t].path[i]);
		len = 99;
		check(merkle_consistency_proof(proof, sizeof(proof), &len, a, b,
		    get_leaf, &ls) == 0);
		check(len == rfc_consistency[t].n * H);
		check(len == 0 || memcmp(proof, want, len) == 0);
		check(merkle_consistency_verify(a, b, rfc_root[a], rfc_root[b],
		    want, rfc_consistency[t].n * H) == 0);
	}
}

/* The edge probes of transparency-dev/merkle's verify_test.go. */
static void
test_edges(void)
{
	uint8_t some[H], empty[H], r1[H], r2[H], leaf[H];
	struct merkle_frontier f;

	hx(some, "abacaba000000000000000000000000000000000000000000060061e00123456");
	merkle_empty_root(empty);
	memset(r1, 0x11, H);
	memset(r2, 0x22, H);

	/* inclusion with an empty proof: (index, size) = (0,0) (0,1) (1,0)
	 * (2,1) never verify a leaf that is not the root */
	{
		static const uint64_t probes[4][2] = {
			{ 0, 0 }, { 0, 1 }, { 1, 0 }, { 2, 1 } };

		for (int i = 0; i < 4; i++) {
			check(merkle_inclusion_verify(some, probes[i][0],
			    probes[i][1], NULL, 0, empty) != 0);
			check(merkle_inclusion_verify(empty, probes[i][0],
			    probes[i][1], NULL, 0, some) != 0);
		}
	}
	/* a one-leaf tree: the leaf is the root, the proof is empty */
	merkle_leaf_hash(leaf, "data", 4);
	check(merkle_inclusion_verify(leaf, 0, 1, NULL, 0, leaf) == 0);
	check(merkle_inclusion_verify(leaf, 0, 1, NULL, 0, some) != 0);
	check(merkle_inclusion_verify(leaf, 0, 1, leaf, H, leaf) != 0);
	check(merkle_inclusion_verify(leaf, 0, 1, leaf, 1, leaf) != 0);
	check(merkle_inclusion_verify(leaf, 1, 1, NULL, 0, leaf) != 0);

	/* consistency, sizes that are always consistent */
	check(merkle_consistency_verify(0, 0, r1, r1, NULL, 0) == 0);
	check(merkle_consistency_verify(1, 1, r2, r2, NULL, 0) == 0);
	check(merkle_consistency_verify(0, 1, empty, r2, NULL, 0) == 0);
	/* stricter than Go: size 0 must come with the empty root */
	check(merkle_consistency_verify(0, 1, r1, r2, NULL, 0) != 0);
	/* same sizes, different roots */
	check(merkle_consistency_verify(0, 0, r1, r2, NULL, 0) != 0);
	check(merkle_consistency_verify(1, 1, r1, r2, NULL, 0) != 0);
	check(merkle_consistency_verify(0, 0, empty, r2, NULL, 0) != 0);
	check(merkle_consistency_verify(1, 1, empty, r2, NULL, 0) != 0);
	/* time travel to the past */
	check(merkle_consistency_verify(1, 0, r1, r2, NULL, 0) != 0);
	check(merkle_consistency_verify(2, 1, r1, r2, NULL, 0) != 0);
	check(merkle_consistency_verify(2, 1, r1, r2, r1, H) != 0);
	/* empty proof between different non-zero sizes */
	check(merkle_consistency_verify(1, 2, r1, r2, NULL, 0) != 0);
	/* roots match but the proof is not empty */
	check(merkle_consistency_verify(0, 0, empty, empty, empty, H) != 0);
	check(merkle_consistency_verify(0, 1, empty, empty, empty, H) != 0);
	check(merkle_consistency_verify(1, 1, empty, empty, empty, H) != 0);

	/* sizes beyond 2^63 - 1 */
	check(merkle_inclusion_verify(leaf, 0, MERKLE_MAX_SIZE + 1, NULL, 0,
	    leaf) != 0);
	check(merkle_consistency_verify(1, MERKLE_MAX_SIZE + 1, r1, r2, r1,
	    H) != 0);
	merkle_frontier_init(&f);
	f.size = MERKLE_MAX_SIZE;
	check(merkle_frontier_append(&f, leaf) != 0);
	check(f.size == MERKLE_MAX_SIZE);
}

/* --- naive RFC 9162 transcription for the exhaustive check --------------- */

static uint8_t leaves[MAX_N][H];
static uint8_t roots[MAX_N + 1][H];

static uint64_t
kpow(uint64_t n)
{
	uint64_t k = 1;

	while (k * 2 < n)
		k *= 2;
	return k;
}

/* MTH(D[lo:lo+n]) by the recursive definition. */
static void
mth(uint8_t out[H], uint64_t lo, uint64_t n)
{
	uint8_t l[H], r[H];
	uint64_t k;

	if (n == 0) {
		merkle_empty_root(out);
		return;
	}
	if (n == 1) {
		memcpy(out, leaves[lo], H);
		return;
	}
	k = kpow(n);
	mth(l, lo, k);
	mth(r, lo + k, n - k);
	merkle_node_hash(out, l, r);
}

/* PATH(m, D[lo:lo+n]) appended to out; returns the new count. */
static size_t
path(uint8_t *out, size_t count, uint64_t m, uint64_t lo, uint64_t n)
{
	uint64_t k;

	if (n <= 1)
		return count;
	k = kpow(n);
	if (m < k) {
		count = path(out, count, m, lo, k);
		mth(out + count * H, lo + k, n - k);
	} else {
		count = path(out, count, m - k, lo + k, n - k);
		mth(out + count * H, lo, k);
	}
	return count + 1;
}

static size_t
subproof(uint8_t *out, size_t count, uint64_t m, uint64_t lo, uint64_t n,
    int b)
{
	uint64_t k;

	if (m == n) {
		if (b)
			return count;
		mth(out + count * H, lo, n);
		return count + 1;
	}
	k = kpow(n);
	if (m <= k) {
		count = subproof(out, count, m, lo, k, b);
		mth(out + count * H, lo + k, n - k);
	} else {
		count = subproof(out, count, m - k, lo + k, n - k, 0);
		mth(out + count * H, lo, k);
	}
	return count + 1;
}

/* The genuine proofs, computed naively. */
static size_t
naive_inclusion(uint8_t *out, uint64_t m, uint64_t n)
{
	return path(out, 0, m, 0, n) * H;
}

static size_t
naive_consistency(uint8_t *out, uint64_t m, uint64_t n)
{
	if (m == 0 || m == n)
		return 0;
	return subproof(out, 0, m, 0, n, 1) * H;
}

static int
same(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len)
{
	return a_len == b_len && (a_len == 0 || memcmp(a, b, a_len) == 0);
}

/* --- exhaustive inclusion ------------------------------------------------ */

/* A probe that must fail unless its proof is the genuine one for the
 * claimed (index, size): that is the only proof that may verify. */
static void
probe_inclusion(const uint8_t leaf[H], uint64_t m, uint64_t n,
    const uint8_t *proof, size_t len, const uint8_t root[H], const char *what,
    uint64_t gm, uint64_t gn)
{
	uint8_t genuine[MERKLE_PROOF_MAX_BYTES];
	size_t glen = 0;
	int genuine_claim, ok;

	/* The claim is true only for the real leaf and root of (m, n). */
	genuine_claim = m < n && n <= MAX_N &&
	    memcmp(leaf, leaves[m], H) == 0 && memcmp(root, roots[n], H) == 0;
	if (genuine_claim)
		glen = naive_inclusion(genuine, m, n);
	ok = merkle_inclusion_verify(leaf, m, n, proof, len, root) == 0;
	if (ok != (genuine_claim && same(proof, len, genuine, glen)))
		fail("inclusion probe '%s' from (%llu, %llu) as (%llu, %llu): "
		    "verify %s", what, (unsigned long long)gm,
		    (unsigned long long)gn, (unsigned long long)m,
		    (unsigned long long)n, ok ? "accepted" : "rejected");
	else
		test_passes++;
}

static void
exhaustive_inclusion(void)
{
	struct leafset ls = { &leaves[0][0], MAX_N, 0, -1 };
	uint8_t proof[MERKLE_PROOF_MAX_BYTES], want[MERKLE_PROOF_MAX_BYTES];
	uint8_t bad[MERKLE_PROOF_MAX_BYTES + 2 * H], zero[H];
	size_t len, wlen;

	memset(zero, 0, H);
	for (uint64_t n = 1; n <= MAX_N; n++) {
		ls.n = n;
		for (uint64_t m = 0; m < n; m++) {
			wlen = naive_inclusion(want, m, n);
			if (merkle_inclusion_proof(proof, sizeof(proof), &len,
			    m, n, get_leaf, &ls) != 0 ||
			    !same(proof, len, want, wlen)) {
				fail("inclusion proof (%llu, %llu) differs from "
				    "RFC 9162 PATH", (unsigned long long)m,
				    (unsigned long long)n);
				continue;
			}
			probe_inclusion(leaves[m], m, n, proof, len, roots[n],
			    "genuine", m, n);
			/* every single-bit flip in every hash */
			for (size_t i = 0; i < len; i += H)
				for (unsigned bit = 0; bit < 8; bit += 3) {
					memcpy(bad, proof, len);
					bad[i + bit] ^= (uint8_t)(1u << bit);
					probe_inclusion(leaves[m], m, n, bad,
					    len, roots[n], "flip", m, n);
				}
			/* drop, add and truncate */
			if (len > 0) {
				probe_inclusion(leaves[m], m, n, proof,
				    len - H, roots[n], "drop last", m, n);
				probe_inclusion(leaves[m], m, n, proof + H,
				    len - H, roots[n], "drop first", m, n);
				probe_inclusion(leaves[m], m, n, proof,
				    len - 1, roots[n], "short byte", m, n);
			}
			memcpy(bad, proof, len);
			memcpy(bad + len, roots[n], H);
			probe_inclusion(leaves[m], m, n, bad, len + H, roots[n],
			    "append root", m, n);
			memcpy(bad + len, zero, H);
			probe_inclusion(leaves[m], m, n, bad, len + H, roots[n],
			    "append zero", m, n);
			probe_inclusion(leaves[m], m, n, bad, len + 1, roots[n],
			    "extra byte", m, n);
			memcpy(bad, leaves[m], H);
			memcpy(bad + H, proof, len);
			probe_inclusion(leaves[m], m, n, bad, len + H, roots[n],
			    "prepend leaf", m, n);
			/* every other index, with this leaf and with its own */
			for (uint64_t m2 = 0; m2 <= n; m2++) {
				if (m2 == m)
					continue;
				probe_inclusion(leaves[m], m2, n, proof, len,
				    roots[n], "wrong index", m, n);
				if (m2 < n)
					probe_inclusion(leaves[m2], m2, n,
					    proof, len, roots[n],
					    "other leaf's index", m, n);
			}
			/* every other size, with that size's real root.
			 * (The same root under another size is not probed:
			 * a proof binds the leaf to the root, and the size
			 * is bound to the root by the signed checkpoint.) */
			for (uint64_t n2 = 1; n2 <= MAX_N; n2++)
				if (n2 != n)
					probe_inclusion(leaves[m], m, n2, proof,
					    len, roots[n2], "wrong size", m, n);
			probe_inclusion(leaves[m], m, n, proof, len, zero,
			    "zero root", m, n);
			if (n > 1)
				probe_inclusion(leaves[m], m, n, proof, len,
				    roots[n - 1], "previous root", m, n);
		}
	}
}

/* --- exhaustive consistency ---------------------------------------------- */

static void
probe_consistency(uint64_t a, uint64_t b, const uint8_t ra[H],
    const uint8_t rb[H], const uint8_t *proof, size_t len, const char *what,
    uint64_t ga, uint64_t gb)
{
	uint8_t genuine[MERKLE_PROOF_MAX_BYTES];
	size_t glen = 0;
	int genuine_claim, ok;

	genuine_claim = a <= b && b <= MAX_N &&
	    memcmp(ra, roots[a], H) == 0 && memcmp(rb, roots[b], H) == 0;
	if (genuine_claim)
		glen = naive_consistency(genuine, a, b);
	ok = merkle_consistency_verify(a, b, ra, rb, proof, len) == 0;
	if (ok != (genuine_claim && same(proof, len, genuine, glen)))
		fail("consistency probe '%s' from (%llu, %llu) as (%llu, %llu):"
		    " verify %s", what, (unsigned long long)ga,
		    (unsigned long long)gb, (unsigned long long)a,
		    (unsigned long long)b, ok ? "accepted" : "rejected");
	else
		test_passes++;
}

static void
exhaustive_consistency(void)
{
	struct leafset ls = { &leaves[0][0], MAX_N, 0, -1 };
	uint8_t proof[MERKLE_PROOF_MAX_BYTES], want[MERKLE_PROOF_MAX_BYTES];
	uint8_t bad[MERKLE_PROOF_MAX_BYTES + 2 * H];
	size_t len, wlen;

	for (uint64_t n = 0; n <= MAX_N; n++) {
		ls.n = n;
		for (uint64_t m = 0; m <= n; m++) {
			wlen = naive_consistency(want, m, n);
			if (merkle_consistency_proof(proof, sizeof(proof), &len,
			    m, n, get_leaf, &ls) != 0 ||
			    !same(proof, len, want, wlen)) {
				fail("consistency proof (%llu, %llu) differs "
				    "from RFC 9162 PROOF", (unsigned long long)m,
				    (unsigned long long)n);
				continue;
			}
			probe_consistency(m, n, roots[m], roots[n], proof, len,
			    "genuine", m, n);
			/* first > second, with this proof and with none */
			if (m < n) {
				probe_consistency(n, m, roots[n], roots[m],
				    proof, len, "first > second", m, n);
				probe_consistency(n, m, roots[n], roots[m],
				    NULL, 0, "first > second, empty", m, n);
			}
			/* equal sizes with a non-empty proof */
			if (len > 0) {
				probe_consistency(m, m, roots[m], roots[m],
				    proof, len, "equal sizes (first)", m, n);
				probe_consistency(n, n, roots[n], roots[n],
				    proof, len, "equal sizes (second)", m, n);
			}
			if (len == 0)
				continue;
			/* from here on 0 < m < n */
			for (size_t i = 0; i < len; i += H)
				for (unsigned bit = 0; bit < 8; bit += 3) {
					memcpy(bad, proof, len);
					bad[i + bit] ^= (uint8_t)(1u << bit);
					probe_consistency(m, n, roots[m],
					    roots[n], bad, len, "flip", m, n);
				}
			probe_consistency(m, n, roots[m], roots[n], NULL, 0,
			    "empty proof", m, n);
			probe_consistency(m, n, roots[m], roots[n], proof,
			    len - H, "drop last", m, n);
			probe_consistency(m, n, roots[m], roots[n], proof + H,
			    len - H, "drop first", m, n);
			probe_consistency(m, n, roots[m], roots[n], proof,
			    len - 1, "short byte", m, n);
			memcpy(bad, proof, len);
			probe_consistency(m, n, roots[m], roots[n], bad,
			    len + 1, "extra byte", m, n);
			memcpy(bad + len, roots[m], H);
			probe_consistency(m, n, roots[m], roots[n], bad,
			    len + H, "append first root", m, n);
			memcpy(bad + len, roots[n], H);
			probe_consistency(m, n, roots[m], roots[n], bad,
			    len + H, "append second root", m, n);
			memcpy(bad + len, proof, H);
			probe_consistency(m, n, roots[m], roots[n], bad,
			    len + H, "append proof[0]", m, n);
			memcpy(bad, roots[m], H);
			memcpy(bad + H, proof, len);
			probe_consistency(m, n, roots[m], roots[n], bad,
			    len + H, "prepend first root", m, n);
			memcpy(bad, roots[n], H);
			probe_consistency(m, n, roots[m], roots[n], bad,
			    len + H, "prepend second root", m, n);
			memcpy(bad, proof, H);
			probe_consistency(m, n, roots[m], roots[n], bad,
			    len + H, "prepend proof[0]", m, n);
			/* wrong roots */
			probe_consistency(m, n, roots[n], roots[m], proof, len,
			    "swapped roots", m, n);
			probe_consistency(m, n, roots[m], roots[m], proof, len,
			    "second root = first", m, n);
			probe_consistency(m, n, roots[n], roots[n], proof, len,
			    "first root = second", m, n);
			/* every other first size and every other second
			 * size, each with its real root */
			for (uint64_t m2 = 0; m2 <= n; m2++)
				if (m2 != m)
					probe_consistency(m2, n, roots[m2],
					    roots[n], proof, len, "wrong first",
					    m, n);
			for (uint64_t n2 = 0; n2 <= MAX_N; n2++)
				if (n2 != n)
					probe_consistency(m, n2, roots[m],
					    roots[n2], proof, len,
					    "wrong second", m, n);
		}
	}
}

static void
test_exhaustive(void)
{
	struct merkle_frontier f;
	uint8_t entry[8], root[H];

	merkle_frontier_init(&f);
	merkle_empty_root(roots[0]);
	for (unsigned i = 0; i < MAX_N; i++) {
		/* distinct entries of varying length */
		for (unsigned j = 0; j < sizeof(entry); j++)
			entry[j] = (uint8_t)(i * 31 + j);
		merkle_leaf_hash(leaves[i], entry, 1 + i % sizeof(entry));
		check(merkle_frontier_append(&f, leaves[i]) == 0);
		merkle_frontier_root(&f, roots[i + 1]);
	}
	/* frontier, array root and subtree root agree with the recursion */
	for (uint64_t n = 0; n <= MAX_N; n++) {
		struct leafset ls = { &leaves[0][0], MAX_N, 0, -1 };

		mth(root, 0, n);
		check(memcmp(root, roots[n], H) == 0);
		check(merkle_root(root, &leaves[0][0], n) == 0);
		check(memcmp(root, roots[n], H) == 0);
		for (uint64_t lo = 0; lo + n <= MAX_N; lo += 5) {
			uint8_t want[H];

			mth(want, lo, n);
			check(merkle_subtree_root(root, get_leaf, &ls, lo,
			    n) == 0);
			check(memcmp(root, want, H) == 0);
		}
	}
	exhaustive_inclusion();
	exhaustive_consistency();
}

/* Generation errors: bad arguments, a short buffer, a failing source. */
static void
test_generation_errors(void)
{
	struct leafset ls = { &leaves[0][0], MAX_N, 0, -1 };
	uint8_t proof[MERKLE_PROOF_MAX_BYTES], root[H];
	size_t len;

	check(merkle_inclusion_proof(proof, sizeof(proof), &len, 5, 5,
	    get_leaf, &ls) != 0);
	check(merkle_inclusion_proof(proof, sizeof(proof), &len, 0, 0,
	    get_leaf, &ls) != 0);
	check(merkle_consistency_proof(proof, sizeof(proof), &len, 6, 5,
	    get_leaf, &ls) != 0);
	check(merkle_inclusion_proof(proof, 2 * H, &len, 0, 16,
	    get_leaf, &ls) != 0);	/* needs 4 hashes */
	check(merkle_consistency_proof(proof, H, &len, 3, 16,
	    get_leaf, &ls) != 0);
	ls.fail_at = 7;
	check(merkle_inclusion_proof(proof, sizeof(proof), &len, 0, 16,
	    get_leaf, &ls) != 0);
	check(merkle_consistency_proof(proof, sizeof(proof), &len, 3, 16,
	    get_leaf, &ls) != 0);
	check(merkle_subtree_root(root, get_leaf, &ls, 0, 8) != 0);
	check(merkle_subtree_root(root, get_leaf, &ls, MERKLE_MAX_SIZE, 2) != 0);
	/* reads outside the tree are never made */
	ls.fail_at = -1;
	ls.n = 16;
	ls.calls = 0;
	check(merkle_inclusion_proof(proof, sizeof(proof), &len, 15, 16,
	    get_leaf, &ls) == 0);
	check(ls.calls == 15);	/* every leaf but the proven one */
}

/* crypto/sha256.c against libsodium: every length to 1 KiB, both
 * prefixes, unaligned input, and an output that aliases the input. */
static void
test_sha256_matches_reference(void)
{
	uint8_t data[1024 + 1], a[SHA256_BYTES], b[SHA256_BYTES];
	uint8_t alias[1 + 64];

	secmem_random(data, sizeof(data));
	printf("sha256: CPU SHA extensions %s\n",
	    sha256_accelerated() ? "used" : "not available");
	for (size_t len = 0; len <= 1024; len++) {
		for (unsigned p = 0; p < 2; p++) {
			sha256_prefixed(a, (uint8_t)p, data + 1, len);
			sha256_prefixed_ref(b, (uint8_t)p, data + 1, len);
			if (memcmp(a, b, sizeof(a)) != 0)
				fail("sha256 differs at length %zu", len);
			else
				test_passes++;
		}
	}
	/* NIST: SHA-256("abc") with "a" as the prefix byte */
	sha256_prefixed(a, 'a', "bc", 2);
	check(memcmp(a, "\xba\x78\x16\xbf\x8f\x01\xcf\xea\x41\x41\x40\xde"
	    "\x5d\xae\x22\x23\xb0\x03\x61\xa3\x96\x17\x7a\x9c\xb4\x10\xff"
	    "\x61\xf2\x00\x15\xad", 32) == 0);
	memcpy(alias, data, sizeof(alias));
	sha256_prefixed_ref(b, 0x01, alias, 64);
	sha256_prefixed(alias, 0x01, alias, 64);
	check(memcmp(alias, b, sizeof(b)) == 0);
}

int
main(void)
{
	if (secmem_init() != 0) {
		fail("secmem_init");
		return test_done("test_merkle");
	}
	test_rfc_roots();
	test_sha256_matches_reference();
	test_rfc_inclusion();
	test_rfc_consistency();
	test_edges();
	test_exhaustive();
	test_generation_errors();
	return test_done("test_merkle");
}
