-- SPDX-License-Identifier: AGPL-3.0-or-later
-- 0004: retention. closed_at is when a case last entered the status
-- 'closed' (Unix seconds), NULL while it is in any other status; the
-- retention sweep (server/retention.c) crypto-shreds a closed case once
-- closed_at is older than the policy allows. Reopening a case clears it,
-- closing it again starts the count anew. A tombstone keeps it, like the
-- rest of its metadata. See docs/operations.md, "Retention".

ALTER TABLE cases ADD COLUMN closed_at INTEGER
	CHECK (closed_at IS NULL OR (status = 'closed' AND closed_at > 0));

-- Cases already closed before this migration have no closing time on
-- record. They count as closed now, when the upgrade runs, so that an
-- upgrade never shreds anything at once: the operator has the whole
-- retention period to notice the new policy and adjust it.
UPDATE cases SET closed_at = CAST(strftime('%s', 'now') AS INTEGER)
	WHERE status = 'closed' AND shredded = 0;

-- What the sweep reads: live closed cases, oldest closing first.
CREATE INDEX cases_by_closed_at ON cases (closed_at)
	WHERE closed_at IS NOT NULL AND shredded = 0;
