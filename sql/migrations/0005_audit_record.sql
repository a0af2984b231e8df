-- The audit trail: one hash chain over all audit records (pcf.core.audit). Records are
-- appended by pcf.adapters.postgres.results.append_audit_records under an advisory lock,
-- so the chain has no forks and no gaps; the unique constraints turn any writer that
-- bypasses the lock into an error instead of a fork.
CREATE TABLE audit_record (
    sequence      bigint      PRIMARY KEY CHECK (sequence >= 1),
    footprint_id  bigint      REFERENCES footprint (id),
    record_json   text        NOT NULL,  -- canonical JSON, exactly the text hashed
    previous_hash char(64)    NOT NULL UNIQUE,
    record_hash   char(64)    NOT NULL UNIQUE,
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX audit_record_footprint ON audit_record (footprint_id);

-- Append-only. UPDATE, DELETE and TRUNCATE raise unless the session (or transaction) set
-- pcf.allow_audit_tamper = on, which exists for tests that simulate tampering and for
-- resetting a test database: `SET LOCAL pcf.allow_audit_tamper = on`. This guards
-- against accidents, not attackers (any role may set it): production roles get no
-- UPDATE/DELETE/TRUNCATE privilege, and verify_chain detects any change regardless.
CREATE FUNCTION pcf_audit_record_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF coalesce(current_setting('pcf.allow_audit_tamper', true), '') <> 'on' THEN
        RAISE EXCEPTION 'audit_record is append-only: % refused', TG_OP
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'tests simulate tampering with SET LOCAL pcf.allow_audit_tamper = on';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER audit_record_append_only_rows BEFORE UPDATE OR DELETE ON audit_record
    FOR EACH ROW EXECUTE FUNCTION pcf_audit_record_append_only();

CREATE TRIGGER audit_record_append_only_truncate BEFORE TRUNCATE ON audit_record
    FOR EACH STATEMENT EXECUTE FUNCTION pcf_audit_record_append_only();
