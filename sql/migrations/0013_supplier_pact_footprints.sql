-- Supplier footprints from PACT (docs/decisions/0013): where each row came from, so the
-- audit record of a footprint that uses it can name its source. All optional: rows
-- loaded from supplier_footprints.csv leave them empty.
ALTER TABLE ds_supplier_footprints
    ADD COLUMN source            text,
    ADD COLUMN retrieved_at      timestamptz,
    ADD COLUMN pact_spec_version text,
    ADD COLUMN pact_status       text,
    ADD COLUMN pact_version      bigint,
    ADD COLUMN pact_figure       text;

-- A PACT file (JSON) is an upload of its own kind; it becomes a version of
-- supplier_footprints. JSON is that kind's file type only.
ALTER TABLE upload DROP CONSTRAINT upload_kind_check;
ALTER TABLE upload ADD CONSTRAINT upload_kind_check CHECK (kind IN (
    'items', 'bom', 'emission_factors', 'factor_mapping', 'supplier_footprints',
    'technology_factors', 'grid_mixes', 'sites', 'machines', 'meters', 'production_counts',
    'pact_footprints'));
ALTER TABLE upload DROP CONSTRAINT upload_file_type_check;
ALTER TABLE upload ADD CONSTRAINT upload_file_type_check
    CHECK (file_type IN ('csv', 'xlsx', 'json'));
ALTER TABLE upload ADD CONSTRAINT upload_json_is_pact
    CHECK ((file_type = 'json') = (kind = 'pact_footprints'));
