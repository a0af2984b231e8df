-- Audit records of version 2 (docs/decisions/0012): the inputs every footprint of a run
-- shares (meters, production, the items produced, machines, grid mix, energy factors,
-- telemetry totals) are one record of the audit chain per run, the site-inputs record;
-- each footprint's record holds its own BOM sub-graph and that record's sha256. The
-- site-inputs record is a chain record like any other (footprint_id NULL), so verifying
-- the chain covers it; this table finds it by run and by the sha256 footprints name.
CREATE TABLE audit_site_inputs (
    run_id   bigint   PRIMARY KEY REFERENCES calculation_run (id),
    sha256   char(64) NOT NULL,  -- of the record's canonical JSON (record_json)
    sequence bigint   NOT NULL UNIQUE REFERENCES audit_record (sequence)
);

CREATE INDEX audit_site_inputs_sha256 ON audit_site_inputs (sha256);

CREATE TRIGGER audit_site_inputs_append_only_rows BEFORE UPDATE OR DELETE ON audit_site_inputs
    FOR EACH ROW EXECUTE FUNCTION pcf_audit_record_append_only();

CREATE TRIGGER audit_site_inputs_append_only_truncate BEFORE TRUNCATE ON audit_site_inputs
    FOR EACH STATEMENT EXECUTE FUNCTION pcf_audit_record_append_only();

-- What the footprint lists show beside the footprint table's numbers, written at
-- calculation time so a list read is an indexed read of one table, not a JSON parse per
-- row. Footprints stored before this migration get them from their audit record's result
-- (the same values: nothing published changes, so the frozen-footprint trigger is set
-- aside for this one statement).
ALTER TABLE footprint
    ADD COLUMN item_type       text,
    ADD COLUMN units_produced  double precision,
    ADD COLUMN electricity_kwh double precision,
    ADD COLUMN natural_gas_kwh double precision;

ALTER TABLE footprint DISABLE TRIGGER footprint_frozen;
UPDATE footprint f
SET item_type = a.result ->> 'item_type',
    units_produced = (a.result ->> 'units_produced')::float8,
    electricity_kwh = (a.result ->> 'electricity_kwh')::float8,
    natural_gas_kwh = (a.result ->> 'natural_gas_kwh')::float8
FROM (
    SELECT DISTINCT ON (footprint_id) footprint_id, record_json::jsonb -> 'result' AS result
    FROM audit_record
    WHERE footprint_id IS NOT NULL
    ORDER BY footprint_id, sequence DESC
) a
WHERE a.footprint_id = f.id;
ALTER TABLE footprint ENABLE TRIGGER footprint_frozen;

-- The lists: by site and item, latest period first (GET /products pages through it), and
-- one item's footprints over periods.
CREATE INDEX footprint_site_item_period
    ON footprint (site_id, item_id COLLATE "C", period_label DESC);
CREATE INDEX footprint_item ON footprint (item_id);

-- 0010's qs_footprint, the same columns, from the footprint's own columns.
CREATE OR REPLACE VIEW qs_footprint AS
SELECT f.id AS footprint_id, r.run_id, f.site_id, f.period_label, r.period_start,
       r.period_closed, f.item_id, f.item_type, f.declared_unit, f.units_produced,
       f.total_kg_co2e,
       coalesce((f.by_category ->> 'materials')::float8, 0) AS materials_kg_co2e,
       coalesce((f.by_category ->> 'purchased_parts')::float8, 0) AS purchased_parts_kg_co2e,
       coalesce((f.by_category ->> 'electricity')::float8, 0) AS electricity_kg_co2e,
       coalesce((f.by_category ->> 'natural_gas')::float8, 0) AS natural_gas_kg_co2e,
       f.electricity_location_kg_co2e, f.electricity_market_kg_co2e,
       f.electricity_kwh, f.natural_gas_kwh, f.primary_data_share, f.complete
FROM latest_calculation_run r
JOIN footprint f ON f.run_id = r.run_id;

-- A run's site-wide inputs: its site-inputs record, or (runs stored before 0011) its
-- first footprint record, which held all of them.
CREATE VIEW run_site_record AS
SELECT r.run_id, r.site_id, r.period_label, d.record
FROM latest_calculation_run r
CROSS JOIN LATERAL (
    SELECT coalesce(
        (SELECT a.record_json::jsonb
         FROM audit_site_inputs s JOIN audit_record a ON a.sequence = s.sequence
         WHERE s.run_id = r.run_id),
        (SELECT a.record_json::jsonb
         FROM audit_record a JOIN footprint f ON f.id = a.footprint_id
         WHERE f.run_id = r.run_id
         ORDER BY a.sequence
         LIMIT 1)
    ) AS record
) d
WHERE d.record IS NOT NULL;

CREATE OR REPLACE VIEW run_meter_energy AS
WITH meter AS (
    SELECT rr.run_id, rr.site_id, rr.period_label, rr.record -> 'steps' AS steps,
           m -> 'meter_id' ->> i AS meter_id, m -> 'machine_id' ->> i AS machine_id,
           m -> 'quantity' ->> i AS quantity, m -> 'unit' ->> i AS unit,
           (m -> 'total' ->> i)::float8 AS total
    FROM run_site_record rr
    CROSS JOIN LATERAL (SELECT rr.record -> 'inputs' -> 'meters' AS m) t
    CROSS JOIN LATERAL generate_series(0, jsonb_array_length(m -> 'meter_id') - 1) i
)
SELECT run_id, site_id, period_label, meter_id, machine_id, quantity, unit, total, kwh,
       kwh * CASE quantity
                 WHEN 'electricity' THEN
                     CASE steps ->> 'electricity_method'
                         WHEN 'market' THEN (steps ->> 'electricity_market_kg_per_kwh')::float8
                         ELSE (steps ->> 'electricity_location_kg_per_kwh')::float8
                     END
                 ELSE (steps ->> 'natural_gas_kg_per_kwh')::float8
             END AS kg_co2e
FROM (
    SELECT meter.*,
           CASE unit WHEN 'kWh' THEN total
                     ELSE total * (steps ->> 'natural_gas_kwh_per_m3')::float8 END AS kwh
    FROM meter
) converted;

CREATE OR REPLACE VIEW run_machine_production AS
SELECT rr.run_id, rr.site_id, rr.period_label,
       p -> 'machine_id' ->> i AS machine_id, p -> 'item_id' ->> i AS item_id,
       (p -> 'quantity' ->> i)::float8 AS quantity,
       (SELECT m -> 'process' ->> j
        FROM generate_series(0, jsonb_array_length(m -> 'machine_id') - 1) j
        WHERE m -> 'machine_id' ->> j = p -> 'machine_id' ->> i) AS process
FROM run_site_record rr
CROSS JOIN LATERAL (
    SELECT rr.record -> 'inputs' -> 'production' AS p, rr.record -> 'inputs' -> 'machines' AS m
) t
CROSS JOIN LATERAL generate_series(0, jsonb_array_length(p -> 'machine_id') - 1) i;
