/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * merkle: RFC 6962 tree hashing, the compact frontier, and RFC 9162 proof
 * generation and verification. Nothing here is secret; hashes are compared
 * with sodium_memcmp anyway so that no caller has to ask whether timing
 * matters.
 */
#include <sodium.h>

#include <string.h>

#include "crypto/merkle.h"
#include "crypto/sha256.h"

#define H	MERKLE_HASH_BYTES

/* Both hashes go through crypto/sha256.h, which uses the CPU's SHA
 * extensions when it has them: rebuilding a large tree is hashing bound. */
void
merkle_leaf_hash(uint8_t out[H], const void *entry, size_t entry_len)
{
	sha256_prefixed(out, 0x00, entry, entry_len);
}

void
merkle_node_hash(uint8_t out[H], const uint8_t left[H], const uint8_t right[H])
{
	uint8_t buf[2 * H];

	/* Copy first: out may alias left or right. */
	memcpy(buf, left, H);
	memcpy(buf + H, right, H);
	sha256_prefixed(out, 0x01, buf, sizeof(buf));
}

void
merkle_empty_root(uint8_t out[H])
{
	crypto_hash_sha256(out, NULL, 0);
}

static int
hash_equal(const uint8_t a[H], const uint8_t b[H])
{
	return sodium_memcmp(a, b, H) == 0;
}

/* Largest power of two strictly below n; n >= 2. */
static uint64_t
split_point(uint64_t n)
{
	return (uint64_t)1 << (63 - __builtin_clzll(n - 1));
}

/* --- frontier ------------------------------------------------------------ */

void
merkle_frontier_init(struct merkle_frontier *f)
{
	memset(f, 0, sizeof(*f));
}

int
merkle_frontier_append(struct merkle_frontier *f, const uint8_t leaf_hash[H])
{
	uint8_t carry[H];
	unsigned i = 0;

	if (f->size >= MERKLE_MAX_SIZE)
		return -1;
	memcpy(carry, leaf_hash, H);
	/* Each set low bit is a perfect subtree of the same height as carry,
	 * to its left: merge them, like a binary increment. */
	while ((f->size >> i) & 1) {
		merkle_node_hash(carry, f->node[i], carry);
		i++;
	}
	memcpy(f->node[i], carry, H);
	f->size++;
	return 0;
}

void
merkle_frontier_root(const struct merkle_frontier *f, uint8_t out[H])
{
	uint8_t acc[H];
	unsigned i;

	if (f->size == 0) {
		merkle_empty_root(out);
		return;
	}
	/* The smallest subtree is the right-most; fold leftwards. */
	i = (unsigned)__builtin_ctzll(f->size);
	memcpy(acc, f->node[i], H);
	for (i++; i < MERKLE_FRONTIER_SLOTS; i++)
		if ((f->size >> i) & 1)
			merkle_node_hash(acc, f->node[i], acc);
	memcpy(out, acc, H);
}

int
merkle_root(uint8_t out[H], const uint8_t *leaves, uint64_t n)
{
	struct merkle_frontier f;

	if (n > MERKLE_MAX_SIZE)
		return -1;
	merkle_frontier_init(&f);
	for (uint64_t i = 0; i < n; i++)
		if (merkle_frontier_append(&f, leaves + i * H) != 0)
			return -1;
	merkle_frontier_root(&f, out);
	return 0;
}

/* --- proof generation ---------------------------------------------------- */

int
merkle_subtree_root(uint8_t out[H], merkle_get_leaf_fn get_leaf, void *arg,
    uint64_t start, uint64_t n)
{
	struct merkle_frontier f;
	uint8_t leaf[H];

	if (n > MERKLE_MAX_SIZE || start > MERKLE_MAX_SIZE - n)
		return -1;
	merkle_frontier_init(&f);
	for (uint64_t i = 0; i < n; i++) {
		if (get_leaf(arg, start + i, leaf) != 0)
			return -1;
		if (merkle_frontier_append(&f, leaf) != 0)
			return -1;
	}
	merkle_frontier_root(&f, out);
	return 0;
}

/*
 * A source of subtree roots MTH(D[start:start+n]) for the two proof walks
 * below: from leaves (the reference, O(n)) or from stored nodes (tiles,
 * O(log n)). The walks are written once and take either.
 */
struct root_src {
	int	(*root)(const struct root_src *src, uint8_t out[H],
		    uint64_t start, uint64_t n);
	merkle_get_leaf_fn	 get_leaf;
	merkle_get_node_fn	 get_node;
	void			*arg;
};

static int
root_from_leaves(const struct root_src *src, uint8_t out[H], uint64_t start,
    uint64_t n)
{
	return merkle_subtree_root(out, src->get_leaf, src->arg, start, n);
}

/* MTH(D[start:start+n]) from perfect-subtree nodes: a power-of-two run
 * aligned on its size is one node; any other run splits as the RFC does
 * (at the largest power of two below n; a misaligned power of two n at
 * n / 2, which is the same split). Depth at most 64. */
static int
nodes_root(merkle_get_node_fn get_node, void *arg, uint8_t out[H],
    uint64_t start, uint64_t n)
{
	uint8_t l[H], r[H];
	uint64_t k;

	if ((n & (n - 1)) == 0) {
		unsigned h = (unsigned)__builtin_ctzll(n);

		if ((start & (n - 1)) == 0)
			return get_node(arg, h, start >> h, out);
		k = n / 2;
	} else {
		k = split_point(n);
	}
	if (nodes_root(get_node, arg, l, start, k) != 0 ||
	    nodes_root(get_node, arg, r, start + k, n - k) != 0)
		return -1;
	merkle_node_hash(out, l, r);
	return 0;
}

static int
root_from_nodes(const struct root_src *src, uint8_t out[H], uint64_t start,
    uint64_t n)
{
	if (n == 0 || n > MERKLE_MAX_SIZE || start > MERKLE_MAX_SIZE - n)
		return -1;
	return nodes_root(src->get_node, src->arg, out, start, n);
}

int
merkle_subtree_root_nodes(uint8_t out[H], merkle_get_node_fn get_node,
    void *arg, uint64_t start, uint64_t n)
{
	struct root_src src = { root_from_nodes, NULL, get_node, arg };

	return root_from_nodes(&src, out, start, n);
}

/*
 * Both proofs are defined recursively with the sibling appended after the
 * sub-proof, so walking from the root down produces them last hash first.
 * Collect top-down into tmp, then emit reversed.
 */
static int
emit_reversed(uint8_t *proof, size_t proof_max, size_t *proof_len,
    uint8_t tmp[][H], size_t count)
{
	if (count > proof_max / H)
		return -1;
	for (size_t i = 0; i < count; i++)
		memcpy(proof + i * H, tmp[count - 1 - i], H);
	*proof_len = count * H;
	return 0;
}

/*
 * One level down both proof builders' walk: D[lo:lo+n] splits at k, and
 * the node m (counted from lo) lies in the left part D[lo:lo+k] if left.
 * The root of the other part goes to out, and lo, n, m move to the part
 * that holds m.
 */
static int
descend(uint8_t out[H], const struct root_src *src, uint64_t k, int left,
    uint64_t *lo, uint64_t *n, uint64_t *m)
{
	if (left) {
		if (src->root(src, out, *lo + k, *n - k) != 0)
			return -1;
		*n = k;
		return 0;
	}
	if (src->root(src, out, *lo, k) != 0)
		return -1;
	*lo += k;
	*m -= k;
	*n -= k;
	return 0;
}

static int
inclusion_walk(uint8_t *proof, size_t proof_max, size_t *proof_len,
    uint64_t index, uint64_t size, const struct root_src *src)
{
	uint8_t tmp[MERKLE_PROOF_MAX_HASHES][H];
	uint64_t lo = 0, n = size, m = index, k;
	size_t count = 0;

	if (size > MERKLE_MAX_SIZE || index >= size)
		return -1;
	/* PATH(m, D[n]) = PATH(m, D[0:k]) : MTH(D[k:n])       if m < k
	 *              = PATH(m - k, D[k:n]) : MTH(D[0:k])   otherwise */
	while (n > 1) {
		if (count == MERKLE_PROOF_MAX_HASHES)
			return -1;	/* unreachable for n < 2^63 */
		k = split_point(n);
		if (descend(tmp[count], src, k, m < k, &lo, &n, &m) != 0)
			return -1;
		count++;
	}
	return emit_reversed(proof, proof_max, proof_len, tmp, count);
}

static int
consistency_walk(uint8_t *proof, size_t proof_max, size_t *proof_len,
    uint64_t first, uint64_t second, const struct root_src *src)
{
	uint8_t tmp[MERKLE_PROOF_MAX_HASHES][H];
	uint64_t lo = 0, n = second, m = first, k;
	size_t count = 0;
	int whole = 1;	/* the "b" flag of SUBPROOF: m is the original size */

	if (second > MERKLE_MAX_SIZE || first > second)
		return -1;
	if (first == 0 || first == second) {
		*proof_len = 0;
		return 0;
	}
	/* SUBPROOF(m, D[m], true)  = {}
	 * SUBPROOF(m, D[m], false) = {MTH(D[m])}
	 * SUBPROOF(m, D[n], b) = SUBPROOF(m, D[0:k], b) : MTH(D[k:n])  if m <= k
	 *                      = SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k]) */
	for (;;) {
		if (count == MERKLE_PROOF_MAX_HASHES)
			return -1;	/* unreachable for n < 2^63 */
		if (m == n) {
			if (!whole) {
				if (src->root(src, tmp[count], lo, n) != 0)
					return -1;
				count++;
			}
			break;
		}
		k = split_point(n);
		if (m > k)
			whole = 0;
		if (descend(tmp[count], src, k, m <= k, &lo, &n, &m) != 0)
			return -1;
		count++;
	}
	return emit_reversed(proof, proof_max, proof_len, tmp, count);
}

int
merkle_inclusion_proof(uint8_t *proof, size_t proof_max, size_t *proof_len,
    uint64_t index, uint64_t size, merkle_get_leaf_fn get_leaf, void *arg)
{
	struct root_src src = { root_from_leaves, get_leaf, NULL, arg };

	return inclusion_walk(proof, proof_max, proof_len, index, size, &src);
}

int
merkle_consistency_proof(uint8_t *proof, size_t proof_max, size_t *proof_len,
    uint64_t first, uint64_t second, merkle_get_leaf_fn get_leaf, void *arg)
{
	struct root_src src = { root_from_leaves, get_leaf, NULL, arg };

	return consistency_walk(proof, proof_max, proof_len, first, second,
	    &src);
}

int
merkle_inclusion_proof_nodes(uint8_t *proof, size_t proof_max,
    size_t *proof_len, uint64_t index, uint64_t size,
    merkle_get_node_fn get_node, void *arg)
{
	struct root_src src = { root_from_nodes, NULL, get_node, arg };

	return inclusion_walk(proof, proof_max, proof_len, index, size, &src);
}

int
merkle_consistency_proof_nodes(uint8_t *proof, size_t proof_max,
    size_t *proof_len, uint64_t first, uint64_t second,
    merkle_get_node_fn get_node, void *arg)
{
	struct root_src src = { root_from_nodes, NULL, get_node, arg };

	return consistency_walk(proof, proof_max, proof_len, first, second,
	    &src);
}

/* --- proof verification -------------------------------------------------- */

/*
 * One level of the walk up the path that both verifiers take (RFC 9162
 * 2.1.3.2 and 2.1.4.2): 1 if the proof's next hash is the left sibling of
 * the node so far. Then moves fn and sn up past this level, first (for a
 * left sibling) past the levels where the node is a lone right edge with
 * no sibling: "if LSB(fn) is not set, shift until it is or fn is 0".
 */
static int
path_step(uint64_t *fn, uint64_t *sn)
{
	int left = (*fn & 1) || *fn == *sn;

	if (left)
		while (!(*fn & 1) && *fn != 0) {
			*fn >>= 1;
			*sn >>= 1;
		}
	*fn >>= 1;
	*sn >>= 1;
	return left;
}

int
merkle_inclusion_verify(const uint8_t leaf_hash[H], uint64_t index,
    uint64_t size, const uint8_t *proof, size_t proof_len,
    const uint8_t root[H])
{
	uint8_t r[H];
	uint64_t fn, sn;

	/* RFC 9162 2.1.3.2 step 1, plus the length checks a flat buffer
	 * needs. */
	if (size > MERKLE_MAX_SIZE || index >= size)
		return -1;
	if (proof_len % H != 0 || proof_len > MERKLE_PROOF_MAX_BYTES)
		return -1;
	fn = index;
	sn = size - 1;
	memcpy(r, leaf_hash, H);
	for (size_t off = 0; off < proof_len; off += H) {
		const uint8_t *p = proof + off;

		if (sn == 0)
			return -1;	/* proof longer than the path */
		if (path_step(&fn, &sn))
			merkle_node_hash(r, p, r);
		else
			merkle_node_hash(r, r, p);
	}
	if (sn != 0)
		return -1;		/* proof shorter than the path */
	return hash_equal(r, root) ? 0 : -1;
}

int
merkle_consistency_verify(uint64_t first, uint64_t second,
    const uint8_t first_root[H], const uint8_t second_root[H],
    const uint8_t *proof, size_t proof_len)
{
	uint8_t fr[H], sr[H], empty[H];
	const uint8_t *c;
	uint64_t fn, sn;
	size_t off, n_hashes, i;
	int prepend;

	if (first > second || second > MERKLE_MAX_SIZE)
		return -1;
	if (first == second)
		return proof_len == 0 && hash_equal(first_root, second_root) ?
		    0 : -1;
	if (first == 0) {
		/* Every tree extends the empty one; only the claim about the
		 * empty root itself can be wrong. */
		merkle_empty_root(empty);
		return proof_len == 0 && hash_equal(first_root, empty) ? 0 : -1;
	}
	/* 2.1.4.2 step 1 */
	if (proof_len == 0 || proof_len % H != 0 ||
	    proof_len > MERKLE_PROOF_MAX_BYTES)
		return -1;
	/* step 2: a power-of-two first tree is itself a node of the second,
	 * so its root is the implicit first element of the path. */
	prepend = (first & (first - 1)) == 0;
	n_hashes = proof_len / H + (prepend ? 1 : 0);
	/* steps 3, 4 */
	fn = first - 1;
	sn = second - 1;
	while (fn & 1) {
		fn >>= 1;
		sn >>= 1;
	}
	/* step 5 */
	memcpy(fr, prepend ? first_root : proof, H);
	memcpy(sr, fr, H);
	/* step 6 */
	for (i = 1; i < n_hashes; i++) {
		off = (prepend ? i - 1 : i) * H;
		c = proof + off;
		if (sn == 0)
			return -1;
		if (path_step(&fn, &sn)) {
			merkle_node_hash(fr, c, fr);
			merkle_node_hash(sr, c, sr);
		} else {
			merkle_node_hash(sr, sr, c);
		}
	}
	/* step 7 */
	if (sn != 0)
		return -1;
	return hash_equal(fr, first_root) && hash_equal(sr, second_root) ?
	    0 : -1;
}
