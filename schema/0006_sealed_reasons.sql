-- SPDX-License-Identifier: AGPL-3.0-or-later
-- 0006: break-glass reasons sealed to the auditors (docs/audit.md 11.5).
--
-- Until 0005 a reason sat in audit_reasons in plain text under K_db, so
-- the operator passphrase alone read "called re ... at safe house 12".
-- From here the salt and the text are sealed (crypto_box_seal, crypto/
-- seal.h) to each active, enrolled auditor's public key, one copy per
-- auditor in audit_reason_seals; audit_reasons keeps only the fact that
-- entry seq has a reason and whether it was erased. The salted hash in the
-- signed entry does not change.
--
-- audit_reasons is rebuilt because its CHECK allowed only "live plain" and
-- "erased"; it now allows a third state, sealed (salt, reason and
-- erased_at all NULL). Rows written before 0006 stay plain until the
-- server seals them at start-up (audit_reasons_seal_plain), which needs
-- the auditors' public keys and so cannot be done in SQL. The one new
-- update allowed is that step: plain to sealed, once.
--
-- Seals are append-only too; a seal may be deleted only once its reason
-- is erased (the erase deletes every copy in the same transaction).

CREATE TABLE audit_reasons_0006 (
	seq       INTEGER PRIMARY KEY REFERENCES audit_log (seq),
	salt      BLOB CHECK (salt IS NULL OR length(salt) = 16),
	reason    BLOB CHECK (reason IS NULL OR length(reason) BETWEEN 1 AND 512),
	erased_at INTEGER,                                 -- Unix ms, or NULL
	CHECK ((erased_at IS NULL AND salt IS NOT NULL AND reason IS NOT NULL)
	    OR (salt IS NULL AND reason IS NULL))
);
INSERT INTO audit_reasons_0006 (seq, salt, reason, erased_at)
	SELECT seq, salt, reason, erased_at FROM audit_reasons;
DROP TABLE audit_reasons;
ALTER TABLE audit_reasons_0006 RENAME TO audit_reasons;

CREATE TRIGGER audit_reasons_no_delete BEFORE DELETE ON audit_reasons
BEGIN SELECT RAISE(ABORT, 'audit reasons are append-only'); END;
-- Two updates only: the erasure (a live reason, plain or sealed, gains an
-- erasure time and keeps no text), and sealing a plain reason (it loses
-- its salt and text; its seals hold them).
CREATE TRIGGER audit_reasons_only_erase BEFORE UPDATE ON audit_reasons
WHEN NOT (NEW.seq = OLD.seq AND NEW.salt IS NULL AND NEW.reason IS NULL
    AND ((OLD.erased_at IS NULL AND NEW.erased_at IS NOT NULL)
      OR (OLD.reason IS NOT NULL AND NEW.erased_at IS NULL)))
BEGIN SELECT RAISE(ABORT, 'audit reasons can only be erased or sealed'); END;

CREATE TABLE audit_reason_seals (
	seq        INTEGER NOT NULL REFERENCES audit_reasons (seq),
	auditor_id TEXT NOT NULL,
	-- crypto_box_seal of "corridor/seal/v1|reason|<seq>|<auditor id>|"
	-- || salt (16) || reason (1..512): 48 bytes of box overhead
	sealed     BLOB NOT NULL CHECK (length(sealed) BETWEEN 85 AND 800),
	PRIMARY KEY (seq, auditor_id)
) WITHOUT ROWID;

CREATE TRIGGER audit_reason_seals_no_update BEFORE UPDATE ON audit_reason_seals
BEGIN SELECT RAISE(ABORT, 'sealed reasons are append-only'); END;
CREATE TRIGGER audit_reason_seals_only_erased BEFORE DELETE ON audit_reason_seals
WHEN (SELECT erased_at FROM audit_reasons WHERE seq = OLD.seq) IS NULL
BEGIN SELECT RAISE(ABORT, 'a sealed reason goes only with its erasure'); END;
