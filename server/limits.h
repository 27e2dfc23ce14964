/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * Every cap corridor enforces on untrusted input, in one place, each with its
 * unit and the reason for its size. A cap is enforced where the bytes arrive;
 * nothing downstream may assume more than what is written here.
 */
#ifndef CORRIDOR_LIMITS_H
#define CORRIDOR_LIMITS_H

#include "crypto/token.h"	/* ID_BYTES, ID_CHARS */

/* --- HTTP transport ------------------------------------------------------ */

/* Largest request body. Case notes are the biggest legitimate input
 * (MAX_NOTES_BYTES) plus a person object and JSON overhead. */
#define MAX_BODY_BYTES			(256u * 1024u)

/* Memory libmicrohttpd may use per connection for headers and the read
 * buffer. A header flood past this gets an error from libmicrohttpd. */
#define MAX_CONN_MEMORY_BYTES		(32u * 1024u)

/* Simultaneous connections in total and from one IP address. The total is
 * sized for 1000 idle keep-alive clients with headroom (bench target). */
#define MAX_CONNECTIONS			2048u
#define MAX_CONNECTIONS_PER_IP		256u

/* Idle connection timeout. libmicrohttpd only counts idle time. */
#define CONN_IDLE_TIMEOUT_S		30u

/* Whole-request deadline, from the first byte to the last body byte, so
 * neither dripping headers nor a slow or stalled body can hold a
 * connection. libmicrohttpd sees no request before its headers are
 * complete, so server/http/deadline.c runs the clock from accept for a
 * connection's first request (no later than its first byte), and from the
 * request line for a later keep-alive request; a keep-alive connection
 * between requests gets CONN_IDLE_TIMEOUT_S in total, however it drips. */
#define REQUEST_DEADLINE_S		10u

/* How often the deadline reaper looks at every connection, in ms: a
 * dripping connection is cut at most this much past its deadline. 2048
 * connections take well under a millisecond to scan. */
#define DEADLINE_TICK_MS		250u

/* On SIGTERM the listening socket closes at once; requests already in
 * flight get this long to finish before the daemon stops. A request cannot
 * legitimately take longer than REQUEST_DEADLINE_S to arrive, plus an
 * Argon2 queue wait; systemd's default stop timeout (90 s) is well above. */
#define SHUTDOWN_GRACE_S		15u

/* Largest TLS certificate chain or private key file, PEM. A full chain of
 * three RSA-4096 certificates is about 7 KiB; 64 KiB leaves room. */
#define MAX_PEM_BYTES			(64u * 1024u)

/* libmicrohttpd worker threads behind the epoll thread. They never block:
 * everything that waits (Argon2, the durable commit, the pool) runs on the
 * HTTP_DISPATCH_THREADS, so one worker per core. libmicrohttpd divides
 * MAX_CONNECTIONS evenly over them (1024 each), so 1000 idle connections
 * fit even when one busy worker accepts them all; with 8 workers the cap
 * was 256 each and a loaded machine refused some (docs/performance.md).
 * A/B against 8 at 7769fd0: same throughput within noise, 3 MiB less RSS
 * with 1000 idle connections. */
#define HTTP_WORKER_THREADS		2u

/* Block size of a streamed body (the audit export): libmicrohttpd asks
 * for at most this much per call, and the export buffers about one block
 * plus one line (AUDIT_EXPORT_LINE_MAX). */
#define HTTP_STREAM_BLOCK_BYTES		(64u * 1024u)

/* Threads that run audited requests off the workers (http.c). Logins hold
 * at most MAX_CONCURRENT_ARGON2 + MAX_ARGON2_QUEUE = 6 of them (running or
 * waiting for Argon2); the other 18 serve everything else, whose main wait
 * is the shared fdatasync of a group commit, so the more requests wait at
 * once, the larger the batch one fdatasync makes durable. Each thread also
 * holds a pool connection (~0.4 MiB RSS with its stack), which is what
 * bounds this number (1000 idle connections: RSS <= 64 MiB, bench/). */
#define HTTP_DISPATCH_THREADS		24u

/* Largest JSON answer serialized (http.c): a page of 500 case summaries
 * is about 250 KiB, so this only stops a runaway. */
#define MAX_RESPONSE_BYTES		(16u * 1024u * 1024u)

/* Longest URL path we route, and the longest query string. */
#define MAX_PATH_BYTES			256u
#define MAX_QUERY_BYTES			512u

/* --- JSON ----------------------------------------------------------------- */

/* Deepest nesting accepted in a request body. The person object is the only
 * nested free-form input; four levels cover it. jansson allows 2048. */
#define MAX_JSON_DEPTH			8u

/* Most elements (object members + array items, summed recursively). */
#define MAX_JSON_ELEMENTS		512u

/* Longest JSON string value the parser accepts, in bytes: the largest
 * single field we define (case notes). Every getter applies its field's own,
 * smaller cap; strings inside free-form objects (person, evacuation
 * details) are held to MAX_FREEFORM_STRING_BYTES. */
#define MAX_JSON_STRING_BYTES		MAX_NOTES_BYTES

/* Longest string inside a free-form object (person, details): a name, an
 * address, a phone number or a short remark, never a document. */
#define MAX_FREEFORM_STRING_BYTES	4096u

/* Deepest nesting inside a free-form object, counting the object itself:
 * person.family[0].phones[1] is four levels. */
#define MAX_FREEFORM_DEPTH		4u

/* --- Accounts and sessions ------------------------------------------------ */

#define MIN_USERNAME_BYTES		3u
#define MAX_USERNAME_BYTES		64u
#define MIN_PASSWORD_BYTES		12u	/* a passphrase, not a PIN */
#define MAX_PASSWORD_BYTES		1024u	/* bounds the Argon2 input */
#define MAX_PASSPHRASE_BYTES		1024u

/* Session lifetime (DESIGN.md): 15 minutes idle, 8 hours at most. */
#define SESSION_IDLE_S			(15u * 60u)
#define SESSION_MAX_S			(8u * 60u * 60u)

/* Live sessions at once. Their secrets sit in one locked slab, so this also
 * bounds locked memory: MAX_SESSIONS * sizeof(struct session_secrets). */
#define MAX_SESSIONS			1024u

/* Live sessions per user; a new login past this ends that user's oldest
 * session, so one account cannot fill the table and lock everyone out. */
#define MAX_SESSIONS_PER_USER		8u

/* Case keys cached per session (LRU); a miss costs one X25519 unseal. */
#define SESSION_KEY_CACHE		32u

/* Concurrent Argon2id runs. Each takes 256 MiB (MODERATE, crypto/userkey.h;
 * 64 MiB for a blob still at INTERACTIVE), so an
 * unbounded number is a memory denial of service. About the core count.
 * It is also the number of kdfpool threads (server/kdfpool.h), which run
 * this work at nice 19 so that a login storm leaves the CPU to reads. */
#define MAX_CONCURRENT_ARGON2		2u

/* Logins waiting for an Argon2 slot before we answer 503. A login holds
 * its dispatch thread (http.c) asleep in kdfpool_run while it waits and
 * while a kdfpool thread runs its Argon2, so running + waiting must leave
 * most of the HTTP_DISPATCH_THREADS free for everything else during a
 * login storm: 24 - 2 - 4 = 18. */
#define MAX_ARGON2_QUEUE		4u

/* Login throttle: after THROTTLE_FREE_FAILURES failures an account or IP
 * waits 2^(n - free) seconds, capped, before the next attempt. */
#define THROTTLE_FREE_FAILURES		3u
/* Capped at a minute: the per-account delay is also a lever for anyone
 * who knows a username to lock its owner out, so it must stay short.
 * Argon2id and the gate already bound online guessing. */
#define THROTTLE_MAX_DELAY_S		60u
#define THROTTLE_TABLE_SLOTS		4096u
/* Slots probed for one key (open addressing): a full window of slots in
 * backoff sends a newcomer to one shared overflow slot (throttle.c). */
#define THROTTLE_PROBE_SLOTS		64u
/* Failures past the free ones are remembered this long after the last
 * one, in seconds: such a slot is not evicted before, so failures on other
 * usernames cannot reset an account's backoff (issue 18). 15 minutes is
 * 15 rounds of the longest delay. */
#define THROTTLE_FORGET_S		(15u * 60u)

/* Unauthenticated requests (no valid session: logins, and requests with
 * a missing, bad or expired token) per source address, before any work
 * (server/core/anonlimit.c): a burst of ANON_BURST, then ANON_RATE_PER_S.
 * A person logging in needs a handful; a browser's first load with an
 * expired token a few more. Past it: 429 with Retry-After. */
#define ANON_RATE_PER_S			20u
#define ANON_BURST			200u
/* Sources tracked at once, and the probe window of the table. */
#define ANON_LIMIT_SLOTS		4096u
#define ANON_LIMIT_PROBE		32u

/* Bearer token: a 32-byte session id (the server keeps only its keyed
 * hash) followed by the 32-byte session key K_s that opens the session's
 * secrets (docs/crypto.md), 64 bytes as base64url without padding =
 * ceil(64 * 4 / 3) = 86 chars. */
#define TOKEN_ID_BYTES			32u
#define TOKEN_BYTES			(TOKEN_ID_BYTES + 32u)
#define TOKEN_B64_CHARS			86u

/* How long a coordinator's password confirmation (POST /session/confirm)
 * lets their requests open the org key: 5 minutes (issue 18). Past it, a
 * request that needs the org key answers 403 reauth-required. */
#define REAUTH_WINDOW_S			(5u * 60u)

/* --- Two-factor login (TOTP, RFC 6238) ------------------------------------ */

/* Longest second-factor code accepted in a body: a 6-digit TOTP code, or a
 * recovery code of 16 base32 characters typed with separators ("abcd-efgh
 * ijkl-mnop" is 19 bytes); anything past 64 bytes is not a code. */
#define MAX_TWOFACTOR_CODE_BYTES	64u

/* Clock skew tolerated, in 30 s steps either way (issue 14): a code of the
 * previous, current or next step is accepted, once. */
#define TOTP_SKEW_STEPS			1

/* Recovery codes made at enrolment, each single-use (issue 14). */
#define RECOVERY_CODES			10u

/* Wrong second-factor codes in a row, after the right password (or the
 * duress password), that lock the account out of logins until a
 * coordinator or admin resets it (issue 14, review M1). A guesser who has
 * the password but not the phone gets 10 tries at 3 accepted codes in
 * 10^6 (+-1 step): 3e-5, where the throttle alone would let them go on
 * at its rate for ever. 10 leaves room for a person fumbling codes at a
 * checkpoint. docs/threat-model.md, "Two-factor lockout". */
#define TWOFACTOR_LOCKOUT_FAILURES	10u

/* Accounts whose run of wrong codes is counted at once (in memory,
 * server/core/lockout.c, 32 bytes each: 128 KiB). Only a login with the
 * right password takes a place, so filling it needs the passwords of
 * 4096 accounts; when full, the place least recently used is reused. */
#define MAX_LOCKOUT_TRACKED		4096u

/* Longest otpauth:// URI: the fixed parts (about 100 bytes), a username of
 * MAX_USERNAME_BYTES and the 32-character secret, with room to spare. It
 * sizes the QR code too (libqrencode, level M: version 10 at most). */
#define MAX_OTPAUTH_URI_BYTES		256u

/* --- Cases ---------------------------------------------------------------- */

#define MAX_NOTES_BYTES			(64u * 1024u)
#define MAX_PERSON_BYTES		(16u * 1024u)	/* serialized object */
#define MAX_REGION_BYTES		64u
#define MAX_HOUSEHOLD_SIZE		64
#define MAX_CHANNEL_BYTES		32u
#define MAX_SUMMARY_BYTES		(8u * 1024u)
#define MAX_NEXT_STEPS_BYTES		(4u * 1024u)
#define MAX_DETAILS_BYTES		(16u * 1024u)	/* serialized object */
#define MAX_REASON_BYTES		512u		/* X-Access-Reason */
#define MAX_PAGE_LIMIT			500u
#define DEFAULT_PAGE_LIMIT		100u
/* GET /audit ?since= and ?until=: an RFC 3339 time is 20 bytes, 35 with
 * a nanosecond fraction and an offset; anything longer is not a time. */
#define MAX_TIME_QUERY_BYTES		40u

/* Contact entries per case. A listing decrypts and sorts every entry of
 * the case (their time is encrypted, see docs/cases.md) and a key rotation
 * re-encrypts them all inside one write transaction, so this bounds both:
 * 10000 entries is a daily contact for over 25 years. */
#define MAX_CONTACTS_PER_CASE		10000u

/* Contact listings default to the largest page: a case file is read as a
 * whole far more often than it is paged. */
#define DEFAULT_CONTACT_PAGE_LIMIT	MAX_PAGE_LIMIT

/* A contact's "at" may lie at most this far in the future (clock skew
 * between a caseworker's phone and the server), in seconds. */
#define MAX_CONTACT_FUTURE_S		(24 * 60 * 60)

/* Attempts at a fresh random codename before giving up with 503. Each
 * attempt collides with probability (cases / 14.7M), see codename.c. */
#define CODENAME_ATTEMPTS		16u
/* Audit exports streaming at once. Each holds a pooled database
 * connection (and its read snapshot) until the body is sent, so the pool
 * has this many connections beyond one per worker thread. */
#define MAX_AUDIT_EXPORTS		2u

/* Longest backup retention `corridor backup --prune-days` accepts: ten
 * years, a typo guard rather than a policy. */
#define BACKUP_PRUNE_MAX_DAYS		3650u

/* --- Memory ---------------------------------------------------------------- */

/* The locked-memory limit (RLIMIT_MEMLOCK) below which `corridor serve`
 * does not call mlockall and warns instead: every mapping is charged in
 * full, and the process maps about 26 thread stacks (8 MiB each), two
 * Argon2 runs (64 MiB each), the database pool and page caches. The unit
 * sets LimitMEMLOCK=infinity. */
#define MLOCKALL_MIN_BYTES		(1024ull * 1024u * 1024u)

/* --- Disk ---------------------------------------------------------------- */

/* Free space on the data directory's file system kept for signed-in,
 * audited work (server/core/diskspace.c): below it, anonymous requests
 * write nothing and get 503 low-disk. 256 MiB is a day of heavy audited
 * work (~1M entries of ~200 bytes plus indexes and WAL) with room for a
 * WAL checkpoint; `corridor serve --disk-reserve-mib` changes it. */
#define DISK_RESERVE_BYTES		(256ull * 1024u * 1024u)
#define MAX_DISK_RESERVE_MIB		(1024u * 1024u)	/* 1 TiB */

/* --- Attachments (docs/cases.md) ------------------------------------------ */

/* Largest attachment, in bytes of the uploaded body: a passport scan, a
 * ticket or a phone photo is 0.2 to 8 MiB; 25 MiB also fits a multi-page
 * PDF of scans. Counted as the body streams in; 413 the moment it is
 * crossed. */
#define MAX_ATTACHMENT_BYTES		(25u * 1024u * 1024u)

/* Attachments per case. A listing unwraps every attachment key and
 * decrypts two fields each, and a K_case rotation re-wraps them all in
 * one write transaction; 200 documents is far beyond a real case, and
 * 200 x 25 MiB bounds one case's share of the disk at 5 GiB. */
#define MAX_ATTACHMENTS_PER_CASE	200u

/* Plaintext bytes per encrypted chunk (one database row, one
 * crypto_secretstream message). Memory per transfer is about two chunks,
 * whatever the file's size; 64 KiB rows keep SQLite's overflow chains
 * short and match HTTP_STREAM_BLOCK_BYTES. */
#define ATTACHMENT_CHUNK_BYTES		(64u * 1024u)

/* Longest filename, in bytes of UTF-8 after percent-decoding X-Filename:
 * the common file-system limit (NAME_MAX). */
#define MAX_FILENAME_BYTES		255u

/* Uploads receiving at once. Each holds an encrypted spool file of up to
 * MAX_ATTACHMENT_BYTES in the data directory and about 130 KiB of memory
 * until it is stored, so this bounds both; past it, 503 with Retry-After
 * before the body is read. */
#define MAX_CONCURRENT_UPLOADS		4u

/* Downloads streaming at once. Each holds a pooled database connection
 * until the body is sent (like MAX_AUDIT_EXPORTS), so the pool has this
 * many more connections. */
#define MAX_ATTACHMENT_DOWNLOADS	4u

/* Whole-request deadline of an upload, instead of REQUEST_DEADLINE_S:
 * 25 MiB over a slow Tor circuit (~50 KiB/s) takes about 9 minutes. The
 * slow-drip risk is bounded by MAX_CONCURRENT_UPLOADS instead. */
#define ATTACHMENT_DEADLINE_S		600u

/* --- Case lookup (docs/cases.md, "Have we seen this person before?") ---- */

/* Longest phone number a lookup takes, in bytes as typed: E.164 is at most
 * 15 digits, and spaces, dashes, brackets and a "+" or "00" fit twice
 * over. */
#define MAX_LOOKUP_PHONE_BYTES		64u

/* Longest name a lookup takes, in bytes of UTF-8: a full Russian or
 * Chechen name with patronymic is under 100 bytes of Cyrillic (2 bytes a
 * letter); 256 leaves room and keeps the folded form (a Cyrillic letter
 * can become 4 Latin ones) within LOOKUP_NAME_OUT_BYTES. */
#define MAX_LOOKUP_NAME_BYTES		256u
#define LOOKUP_NAME_OUT_BYTES		(4u * MAX_LOOKUP_NAME_BYTES + 1u)

/* Phone numbers and names indexed per case: person.phone and
 * person.name + person.aliases are split on "," ";" and new lines. Past
 * the cap the rest is not indexed (never refused: the case is stored). */
#define LOOKUP_PHONES_PER_CASE		8u
#define LOOKUP_NAMES_PER_CASE		8u

/* Matches one lookup answers with: a number shared by more cases than
 * this is noise (a shelter's hotline), and the answer says "more". */
#define LOOKUP_MAX_MATCHES		10u

/* Lookups per account (server/core/lookuplimit.c): a burst of
 * LOOKUP_BURST, then one every LOOKUP_REFILL_S seconds (60 an hour).
 * A caseworker checks a handful of people a day; enumerating even one
 * mobile prefix (10^7 numbers) at 60 an hour takes 19 years. A case
 * created with a phone number spends one token too (its warning is a
 * lookup). Past it: 429 with Retry-After. */
#define LOOKUP_BURST			10u
#define LOOKUP_REFILL_S			60u
/* Accounts tracked at once; the least recently used full bucket makes
 * room (a full bucket is what a newcomer gets anyway). */
#define LOOKUP_LIMIT_SLOTS		1024u

/* Cases one POST /cases/reindex indexes: each is an org-key unwrap and a
 * decryption inside one write transaction, so the lock is held for
 * well under a second; the answer says how many remain. */
#define REINDEX_BATCH_CASES		200u

/* Accounts under coercion (issue 14). */
/* A session's client label ("laptop", "Firefox on the office PC"): the
 * only thing a session records about its client, shown in the user's own
 * session list; no IP, no user agent. 48 bytes is a short phrase in
 * Cyrillic (2 bytes a letter). */
#define MAX_CLIENT_LABEL_BYTES		48u
/* GET /me/logins: the newest logins and failures shown, enough to spot a
 * stranger's use over a few weeks without paging. */
#define MAX_LOGIN_HISTORY		50u
/* GET /alerts and the waiting re-seals listed or done in one request;
 * bounds the response and the write transaction of POST .../reseal (one
 * seal each, microseconds). */
#define MAX_ALERTS_LISTED		200u
#define MAX_RESEAL_PER_REQUEST		500u

/* Largest transfer bundle (POST /cases/{id}/transfer builds one, POST
 * /transfers/import takes one), in bytes of the bundle file. Both sides
 * stream it through an encrypted spool with about two records in memory
 * (BUNDLE_RECORD_MAX_BYTES), so the cap bounds disk and time, not
 * memory: 256 MiB is a case with ten full-size scans and many photos,
 * carried over a slow link in the upload deadline's order of time. A case
 * whose attachments would pass it is refused (413 bundle-too-large) and
 * its documents go some other way. */
#define MAX_BUNDLE_BYTES		(256u * 1024u * 1024u)

/* Largest plaintext record inside a bundle: the case record holds the
 * person (MAX_PERSON_BYTES) and notes (MAX_NOTES_BYTES) as JSON strings,
 * which escaping can grow sixfold ("\u0001"); 1 MiB covers both. */
#define BUNDLE_RECORD_MAX_BYTES		(1024u * 1024u)

/* Bundles building or streaming out at once (POST /cases/{id}/transfer).
 * Each holds a spool of up to MAX_BUNDLE_BYTES in the data directory
 * until its client has read it, so this bounds the disk that slow
 * readers can hold; past it, 503 busy with Retry-After. */
#define MAX_BUNDLE_DOWNLOADS		2u

/* The media type a bundle travels under, in both directions. */
#define BUNDLE_MEDIA_TYPE		"application/vnd.corridor.bundle"

/* Partners an instance may register (`corridor partner add`): a network
 * hands cases to a handful of organisations; the cap bounds the list. */
#define MAX_PARTNERS			256u
#define MAX_PARTNER_NAME_BYTES		128u

/* Ids (ID_BYTES, ID_CHARS) are sized in crypto/token.h, the layer that
 * makes them. */

/* --- witnesses (docs/audit.md section 14, docs/operations.md) ------------- */

/* Longest witness directory path: room for "/state/<64 hex>.tmp" after it
 * within PATH_MAX-sized buffers. */
#define WITNESS_DIR_MAX_BYTES		1024u

/* Log verifier keys one witness follows (--log-key, repeatable): a
 * partner follows a handful of logs, each with one key, two during a
 * rotation. The state is a fixed array of this many origins. */
#define WITNESS_MAX_LOG_KEYS		64u

/* Connections the witness serves at once, and its idle timeout in
 * seconds: a log makes one request per checkpoint, so a few suffice;
 * requests are handled one at a time anyway (witness.h). */
#define WITNESS_MAX_CONNECTIONS		32u
#define WITNESS_CONNECTION_TIMEOUT_S	10u

/* The test hook's pause in seconds (witness.h): long enough for a test to
 * see the marker file and kill the process. */
#define WITNESS_TEST_STALL_S		30u

/* Witnesses one server sends its checkpoints to (--witness, repeatable):
 * one client thread each. */
#define MAX_WITNESSES			8u

/* The server's witness client: connect timeout and whole-exchange
 * deadline in seconds (a witness behind Tor takes seconds; a dead one
 * must not hold its thread long), the longest response it reads (a
 * cosignature line, or a short error), and the retry back-off after a
 * failure, doubling from 1 s to this cap. None of it blocks a request:
 * the client runs in its own threads. */
#define WITNESS_CONNECT_TIMEOUT_S	5u
#define WITNESS_EXCHANGE_TIMEOUT_S	15u
#define WITNESS_RESPONSE_READ_MAX_BYTES	4096u
#define WITNESS_RETRY_MAX_S		60u

#endif /* CORRIDOR_LIMITS_H */
