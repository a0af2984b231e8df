-- Dataset versions: every load of a static file is an immutable full snapshot of its
-- kind, numbered 1, 2, ... per kind. The rows of a version live in ds_<kind>.

-- Raised by the triggers that keep snapshot rows immutable: a correction is a new
-- dataset version, never an edit of a loaded one.
CREATE FUNCTION pcf_forbid_update() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'rows of % are immutable: load a new dataset version instead',
        TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$;

CREATE TABLE dataset_version (
    id         bigserial PRIMARY KEY,
    kind       text        NOT NULL CHECK (kind IN (
                   'items', 'bom', 'emission_factors', 'factor_mapping',
                   'supplier_footprints', 'technology_factors', 'grid_mixes', 'sites',
                   'machines', 'meters', 'production_counts')),
    version    integer     NOT NULL CHECK (version >= 1),
    file_name  text        NOT NULL,
    sha256     char(64)    NOT NULL,
    row_count  bigint      NOT NULL CHECK (row_count >= 0),
    -- Validity of the snapshot, both days inclusive; NULL = open-ended.
    valid_from date,
    valid_to   date,
    loaded_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (kind, version),
    CHECK (valid_to IS NULL OR valid_from IS NULL OR valid_to >= valid_from)
);

CREATE TRIGGER dataset_version_immutable BEFORE UPDATE ON dataset_version
    FOR EACH ROW EXECUTE FUNCTION pcf_forbid_update();
