-- SPDX-License-Identifier: AGPL-3.0-or-later
-- 0007: an auditor's sealed reasons follow their key pair.
--
-- Every password change makes a new key pair (docs/crypto.md), and 0006
-- sealed each break-glass reason to the auditor's public key of the day:
-- without this step an auditor who changed their password could read no
-- earlier reason. The change re-seals the auditor's copies to the new
-- public key in the same transaction (server/audit/audit_reason.c,
-- audit_reason_rekey). The one update a seal now allows is that one: the
-- same entry, the same auditor, a new sealed blob. Deleting stays
-- reserved to erasure.

DROP TRIGGER audit_reason_seals_no_update;
CREATE TRIGGER audit_reason_seals_only_reseal BEFORE UPDATE ON audit_reason_seals
WHEN NOT (NEW.seq = OLD.seq AND NEW.auditor_id = OLD.auditor_id)
BEGIN SELECT RAISE(ABORT, 'a sealed reason can only be re-sealed to its auditor'); END;
