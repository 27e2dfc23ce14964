/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * merkle: the RFC 6962 / RFC 9162 Merkle tree over SHA-256 that makes the
 * audit log tamper-evident. Leaf hash = SHA-256(0x00 || entry), node hash =
 * SHA-256(0x01 || left || right), and a tree of n > 1 leaves splits at the
 * largest power of two below n. The empty tree's root is SHA-256("").
 *
 * Three parts:
 *  - a compact frontier: the roots of the perfect subtrees that make up the
 *    tree so far (one per set bit of the size), enough to append a leaf and
 *    compute the root in O(log n) memory. The server keeps one in memory;
 *    the offline verifier streams an export through one.
 *  - proof generation (inclusion, RFC 9162 section 2.1.3; consistency,
 *    section 2.1.4) over leaf hashes fetched through a caller callback, so
 *    the server can read them from its table without holding the tree.
 *  - proof verification exactly as RFC 9162 sections 2.1.3.2 and 2.1.4.2.
 *
 * Tree sizes are limited to MERKLE_MAX_SIZE (2^63 - 1) so they fit the
 * signed 64-bit integers of SQLite and of other verifiers (Go's tlog).
 *
 * Proofs are flat byte buffers of 32-byte hashes; every *_len below counts
 * bytes, so a length that is not a multiple of 32 is simply a wrong length.
 */
#ifndef CORRIDOR_MERKLE_H
#define CORRIDOR_MERKLE_H

#include <stddef.h>
#include <stdint.h>

#define MERKLE_HASH_BYTES	32u

/* Largest tree we build or accept: INT64_MAX, see above. */
#define MERKLE_MAX_SIZE		((uint64_t)INT64_MAX)

/* Frontier slots: one per bit of a size below 2^63, plus one spare. */
#define MERKLE_FRONTIER_SLOTS	64u

/* Longest proof, in hashes. An inclusion proof has one hash per level,
 * at most ceil(log2 n) <= 63 for n < 2^63. A consistency proof has one per
 * level plus the subtree it starts from: at most 64. */
#define MERKLE_PROOF_MAX_HASHES	64u
#define MERKLE_PROOF_MAX_BYTES	(MERKLE_PROOF_MAX_HASHES * MERKLE_HASH_BYTES)

#define MERKLE_WUR __attribute__((warn_unused_result))

/* SHA-256(0x00 || entry). entry may be NULL when entry_len is 0. */
void merkle_leaf_hash(uint8_t out[MERKLE_HASH_BYTES], const void *entry,
    size_t entry_len);

/* SHA-256(0x01 || left || right). out may alias left or right. */
void merkle_node_hash(uint8_t out[MERKLE_HASH_BYTES],
    const uint8_t left[MERKLE_HASH_BYTES],
    const uint8_t right[MERKLE_HASH_BYTES]);

/* The root of the empty tree, SHA-256 of the empty string. */
void merkle_empty_root(uint8_t out[MERKLE_HASH_BYTES]);

/*
 * Compact frontier. node[i] holds the root of a perfect subtree of 2^i
 * leaves exactly when bit i of size is set; the subtrees lie left to right
 * from the highest bit to the lowest. 2 KiB, no heap, no secrets.
 */
struct merkle_frontier {
	uint64_t size;
	uint8_t node[MERKLE_FRONTIER_SLOTS][MERKLE_HASH_BYTES];
};

void merkle_frontier_init(struct merkle_frontier *f);

/* Append one leaf hash. Amortised one node hash per leaf.
 * 0, or -1 when the tree already holds MERKLE_MAX_SIZE leaves. */
int merkle_frontier_append(struct merkle_frontier *f,
    const uint8_t leaf_hash[MERKLE_HASH_BYTES]) MERKLE_WUR;

/* Root of the tree the frontier describes (the empty root at size 0).
 * At most 63 node hashes; f is not changed. */
void merkle_frontier_root(const struct merkle_frontier *f,
    uint8_t out[MERKLE_HASH_BYTES]);

/* Root over n leaf hashes stored back to back (n * 32 bytes at leaves).
 * 0 or -1 (n above MERKLE_MAX_SIZE). */
int merkle_root(uint8_t out[MERKLE_HASH_BYTES], const uint8_t *leaves,
    uint64_t n) MERKLE_WUR;

/*
 * Source of leaf hashes for proof generation: write the hash of leaf index
 * into out and return 0, or return -1 (the proof call then fails with -1).
 * Called with indexes in increasing order within each subtree, every index
 * below the tree size at most once per subtree it appears in.
 */
typedef int (*merkle_get_leaf_fn)(void *arg, uint64_t index,
    uint8_t out[MERKLE_HASH_BYTES]);

/* Root of the n leaves starting at index start (MTH(D[start:start+n])).
 * O(n) leaf reads and hashes, O(log n) memory. 0 or -1. */
int merkle_subtree_root(uint8_t out[MERKLE_HASH_BYTES],
    merkle_get_leaf_fn get_leaf, void *arg, uint64_t start, uint64_t n)
    MERKLE_WUR;

/*
 * Inclusion proof PATH(index, D[size]) of RFC 9162 section 2.1.3.1, leaf
 * side first. proof receives *proof_len bytes (a multiple of 32) out of
 * proof_max; MERKLE_PROOF_MAX_BYTES is always enough. Requires
 * index < size <= MERKLE_MAX_SIZE. 0 or -1.
 *
 * WARNING: cost. Every sibling subtree root is recomputed from its leaves,
 * so one proof reads and hashes O(size) leaves (about size in total, since
 * the siblings partition the tree). Memory stays O(log size). A server that
 * needs proofs on a large log should cache the roots of perfect subtrees;
 * this function is the reference such a cache is checked against.
 */
int merkle_inclusion_proof(uint8_t *proof, size_t proof_max,
    size_t *proof_len, uint64_t index, uint64_t size,
    merkle_get_leaf_fn get_leaf, void *arg) MERKLE_WUR;

/*
 * Consistency proof PROOF(first, D[second]) of RFC 9162 section 2.1.4.1.
 * For first == 0 or first == second the proof is empty (*proof_len = 0),
 * which is what merkle_consistency_verify expects for those sizes.
 * Requires first <= second <= MERKLE_MAX_SIZE. Same cost as above. 0 or -1.
 */
int merkle_consistency_proof(uint8_t *proof, size_t proof_max,
    size_t *proof_len, uint64_t first, uint64_t second,
    merkle_get_leaf_fn get_leaf, void *arg) MERKLE_WUR;

/*
 * Source of perfect-subtree roots for proofs read from stored nodes (the
 * tlog tiles): write the root of the 2^height leaves starting at leaf
 * index * 2^height into out and return 0, or return -1 (the proof call
 * then fails with -1). Only nodes inside the proof's tree are asked for.
 */
typedef int (*merkle_get_node_fn)(void *arg, unsigned height, uint64_t index,
    uint8_t out[MERKLE_HASH_BYTES]);

/* MTH(D[start:start+n]), n >= 1, from at most 2 log2(n) nodes. 0 or -1. */
int merkle_subtree_root_nodes(uint8_t out[MERKLE_HASH_BYTES],
    merkle_get_node_fn get_node, void *arg, uint64_t start, uint64_t n)
    MERKLE_WUR;

/*
 * The same proofs as merkle_inclusion_proof and merkle_consistency_proof,
 * byte for byte, with each sibling built from O(log n) stored nodes
 * instead of its leaves: O(log^2 n) node reads at most, O(log n) in
 * practice since proof siblings are mostly perfect subtrees. The leaf
 * versions above stay as the reference the tests compare against.
 */
int merkle_inclusion_proof_nodes(uint8_t *proof, size_t proof_max,
    size_t *proof_len, uint64_t index, uint64_t size,
    merkle_get_node_fn get_node, void *arg) MERKLE_WUR;
int merkle_consistency_proof_nodes(uint8_t *proof, size_t proof_max,
    size_t *proof_len, uint64_t first, uint64_t second,
    merkle_get_node_fn get_node, void *arg) MERKLE_WUR;

/*
 * Verify that leaf_hash sits at index in the tree of size whose root is
 * root, per RFC 9162 section 2.1.3.2. Rejects index >= size, a proof length
 * that is not exactly the path length for (index, size), and a proof that
 * does not hash to root. 0 when the proof holds, -1 otherwise.
 *
 * WARNING: the proof authenticates the leaf against (root, size) together.
 * The size must come from the same signed checkpoint as the root; a root
 * paired with a size it was not signed with proves nothing.
 */
int merkle_inclusion_verify(const uint8_t leaf_hash[MERKLE_HASH_BYTES],
    uint64_t index, uint64_t size, const uint8_t *proof, size_t proof_len,
    const uint8_t root[MERKLE_HASH_BYTES]) MERKLE_WUR;

/*
 * Verify that the tree of first leaves with root first_root is a prefix of
 * the tree of second leaves with root second_root, per RFC 9162 section
 * 2.1.4.2. Rejects first > second; first == second with a non-empty proof
 * or different roots; first == 0 with a non-empty proof or a first_root
 * other than the empty root; 0 < first < second with an empty proof, a
 * length that is not a multiple of 32, or hashes that do not reproduce
 * both roots. 0 when consistent, -1 otherwise.
 */
int merkle_consistency_verify(uint64_t first, uint64_t second,
    const uint8_t first_root[MERKLE_HASH_BYTES],
    const uint8_t second_root[MERKLE_HASH_BYTES],
    const uint8_t *proof, size_t proof_len) MERKLE_WUR;

#endif
