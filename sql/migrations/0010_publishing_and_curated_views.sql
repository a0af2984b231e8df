-- Issue 5, points 2 and 4: closing and reopening a site's period (publishing), the
-- footprints a recalculation of a reopened period supersedes, and the curated views
-- QuickSight data sets read (docs/decisions/0009-footprint-api-and-publishing.md).

-- == Publishing =========================================================================

-- One row per closing of a site's period. A period is closed while its latest closing
-- has no reopened_at; the closing names the run it froze: that run's footprints are the
-- published ones (PACT), and they never change.
CREATE TABLE period_closing (
    id            bigserial   PRIMARY KEY,
    site_id       text        NOT NULL,
    period_label  text        NOT NULL,
    run_id        bigint      NOT NULL REFERENCES calculation_run (id),
    closed_at     timestamptz NOT NULL DEFAULT now(),
    closed_by     text        NOT NULL,
    reopened_at   timestamptz,
    reopened_by   text,
    reopen_reason text,
    CHECK ((reopened_at IS NULL) = (reopened_by IS NULL))
);

-- at most one current closing per site and period
CREATE UNIQUE INDEX period_closing_current ON period_closing (site_id, period_label)
    WHERE reopened_at IS NULL;
CREATE INDEX period_closing_run ON period_closing (run_id);

-- A footprint of a reopened period's recalculation names the published footprint of the
-- same item it supersedes (PACT precedingPfIds).
CREATE TABLE footprint_preceding (
    footprint_id           bigint NOT NULL REFERENCES footprint (id),
    preceding_footprint_id bigint NOT NULL REFERENCES footprint (id),
    PRIMARY KEY (footprint_id, preceding_footprint_id)
);

-- Closing, and writing a run or footprints, of one site and period take this transaction
-- lock, so a calculation committing while the period closes cannot slip in after it.
-- 0x70636670 is "pcfp" in ASCII.
CREATE FUNCTION pcf_lock_period(site text, period text) RETURNS void
LANGUAGE sql AS $$
    SELECT pg_advisory_xact_lock(1885562480, hashtext(site || '/' || period))
$$;

-- Every way a run is written (calculate, the CLI, the demo) is refused for a closed
-- period here, in one place.
CREATE FUNCTION pcf_refuse_run_of_closed_period() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pcf_lock_period(NEW.site_id, NEW.period_label);
    IF EXISTS (
        SELECT 1 FROM period_closing c
        WHERE c.site_id = NEW.site_id AND c.period_label = NEW.period_label
          AND c.reopened_at IS NULL
    ) THEN
        RAISE EXCEPTION 'site % period % is closed: reopen it before recalculating',
            NEW.site_id, NEW.period_label
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER calculation_run_period_open BEFORE INSERT ON calculation_run
    FOR EACH ROW EXECUTE FUNCTION pcf_refuse_run_of_closed_period();

-- New footprints: refused in a closed period (a run started before the closing), and
-- linked to the footprint of the same item in the period's last closing, if any (the
-- period was closed and reopened: the new footprint supersedes the published one).
CREATE FUNCTION pcf_footprints_of_open_periods() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    closed record;
BEGIN
    PERFORM pcf_lock_period(p.site_id, p.period_label)
    FROM (SELECT DISTINCT site_id, period_label FROM inserted) p;
    SELECT n.site_id, n.period_label INTO closed
    FROM inserted n
    JOIN period_closing c ON c.site_id = n.site_id AND c.period_label = n.period_label
    WHERE c.reopened_at IS NULL
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'site % period % is closed: reopen it before recalculating',
            closed.site_id, closed.period_label
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    INSERT INTO footprint_preceding (footprint_id, preceding_footprint_id)
    SELECT n.id, published.id
    FROM inserted n
    CROSS JOIN LATERAL (
        SELECT c.run_id FROM period_closing c
        WHERE c.site_id = n.site_id AND c.period_label = n.period_label
        ORDER BY c.id DESC
        LIMIT 1
    ) last_closing
    JOIN footprint published
      ON published.run_id = last_closing.run_id AND published.item_id = n.item_id;
    RETURN NULL;
END;
$$;

CREATE TRIGGER footprint_period_open AFTER INSERT ON footprint
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION pcf_footprints_of_open_periods();

-- Frozen: a run a closing names, and its footprints, are never changed nor removed.
CREATE FUNCTION pcf_refuse_change_of_published() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    frozen_run bigint;
BEGIN
    -- each branch is prepared only when it runs: OLD has run_id only on footprint
    IF TG_TABLE_NAME = 'footprint' THEN
        frozen_run := OLD.run_id;
    ELSE
        frozen_run := OLD.id;
    END IF;
    IF EXISTS (SELECT 1 FROM period_closing c WHERE c.run_id = frozen_run) THEN
        RAISE EXCEPTION 'calculation run % was published by closing its period: % refused',
            frozen_run, TG_OP
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER footprint_frozen BEFORE UPDATE OR DELETE ON footprint
    FOR EACH ROW EXECUTE FUNCTION pcf_refuse_change_of_published();
CREATE TRIGGER calculation_run_frozen BEFORE UPDATE OR DELETE ON calculation_run
    FOR EACH ROW EXECUTE FUNCTION pcf_refuse_change_of_published();

-- The published footprints: those of every run a closing froze. Active: of the latest
-- closing of its site and period (still so while the period is reopened and until it is
-- closed again); Deprecated: superseded by a later closing.
CREATE VIEW published_footprint AS
WITH closing AS (
    SELECT c.*, row_number() OVER (
               PARTITION BY c.site_id, c.period_label ORDER BY c.id DESC
           ) = 1 AS is_latest
    FROM period_closing c
)
SELECT f.id AS footprint_id, f.run_id, f.item_id, f.site_id, f.period_label,
       c.id AS closing_id, c.closed_at, c.closed_by,
       CASE WHEN c.is_latest THEN 'Active' ELSE 'Deprecated' END AS status,
       coalesce(
           (SELECT array_agg(p.preceding_footprint_id ORDER BY p.preceding_footprint_id)
            FROM footprint_preceding p WHERE p.footprint_id = f.id),
           '{}'::bigint[]
       ) AS preceding_footprint_ids
FROM closing c
JOIN footprint f ON f.run_id = c.run_id;

-- Stale footprints (0009), now of open periods only: a closed period's footprints are
-- published and frozen; a newer dataset version matters to it once it is reopened.
CREATE OR REPLACE VIEW stale_footprint AS
WITH latest_run AS (
    SELECT DISTINCT ON (site_id, period_label)
           id, site_id, period_label, dataset_versions,
           to_date(period_label, 'YYYY-MM') AS first_day  -- periods are calendar months
    FROM calculation_run r
    WHERE status = 'succeeded'
      AND NOT EXISTS (
          SELECT 1 FROM period_closing c
          WHERE c.site_id = r.site_id AND c.period_label = r.period_label
            AND c.reopened_at IS NULL
      )
    ORDER BY site_id, period_label, id DESC
),
superseded AS (
    SELECT r.id AS run_id, r.first_day, k.kind,
           pinned.id AS pinned_id, pinned.version AS pinned_version,
           now_in_force.id AS in_force_id, now_in_force.version AS in_force_version,
           now_in_force.valid_from AS in_force_valid_from,
           now_in_force.valid_to AS in_force_valid_to
    FROM latest_run r
    CROSS JOIN (SELECT DISTINCT kind FROM dataset_version) k
    CROSS JOIN LATERAL (
        SELECT v.id, v.version, v.sha256, v.valid_from, v.valid_to
        FROM dataset_version v
        WHERE v.kind = k.kind
          AND (v.valid_from IS NULL OR v.valid_from <= r.first_day)
          AND (v.valid_to IS NULL OR v.valid_to >= r.first_day)
        ORDER BY v.version DESC
        LIMIT 1
    ) now_in_force
    LEFT JOIN dataset_version pinned ON pinned.id = (r.dataset_versions ->> k.kind)::bigint
    WHERE pinned.id IS DISTINCT FROM now_in_force.id
      AND (pinned.sha256 IS NULL OR pinned.sha256 <> now_in_force.sha256)
)
SELECT f.id AS footprint_id, f.item_id, f.site_id, f.period_label, s.run_id, s.kind,
       s.pinned_id AS pinned_version_id, s.pinned_version,
       s.in_force_id AS superseding_version_id, s.in_force_version AS superseding_version,
       s.in_force_valid_from AS superseding_valid_from,
       s.in_force_valid_to AS superseding_valid_to,
       s.first_day AS as_of
FROM superseded s
JOIN footprint f ON f.run_id = s.run_id;

-- == Curated views (QuickSight data sets; the footprint API reads them too) =============
-- Numbers per declared unit unless a name says otherwise. Each site's period counts with
-- its latest succeeded run (for a closed period, the published one). What the footprint
-- table does not hold (item type, units produced, embodied kWh, the site's meter totals
-- and production) is read from the footprints' audit records, the one place they are.

CREATE VIEW latest_calculation_run AS
SELECT DISTINCT ON (r.site_id, r.period_label)
       r.id AS run_id, r.site_id, r.period_label, r.period_start, r.period_end,
       EXISTS (
           SELECT 1 FROM period_closing c
           WHERE c.site_id = r.site_id AND c.period_label = r.period_label
             AND c.reopened_at IS NULL
       ) AS period_closed
FROM calculation_run r
WHERE r.status = 'succeeded'
ORDER BY r.site_id, r.period_label, r.id DESC;

-- Footprints by product and period: one row per item produced, categories as columns.
CREATE VIEW qs_footprint AS
SELECT f.id AS footprint_id, r.run_id, f.site_id, f.period_label, r.period_start,
       r.period_closed, f.item_id, a.result ->> 'item_type' AS item_type, f.declared_unit,
       (a.result ->> 'units_produced')::float8 AS units_produced,
       f.total_kg_co2e,
       coalesce((f.by_category ->> 'materials')::float8, 0) AS materials_kg_co2e,
       coalesce((f.by_category ->> 'purchased_parts')::float8, 0) AS purchased_parts_kg_co2e,
       coalesce((f.by_category ->> 'electricity')::float8, 0) AS electricity_kg_co2e,
       coalesce((f.by_category ->> 'natural_gas')::float8, 0) AS natural_gas_kg_co2e,
       f.electricity_location_kg_co2e, f.electricity_market_kg_co2e,
       (a.result ->> 'electricity_kwh')::float8 AS electricity_kwh,
       (a.result ->> 'natural_gas_kwh')::float8 AS natural_gas_kwh,
       f.primary_data_share, f.complete
FROM latest_calculation_run r
JOIN footprint f ON f.run_id = r.run_id
CROSS JOIN LATERAL (
    SELECT record_json::jsonb -> 'result' AS result FROM audit_record
    WHERE footprint_id = f.id ORDER BY sequence DESC LIMIT 1
) a;

-- Breakdown by category, long form: one row per footprint and category.
CREATE VIEW qs_footprint_category AS
SELECT q.footprint_id, q.site_id, q.period_label, q.item_id, q.item_type, q.declared_unit,
       c.key AS category, c.value::float8 AS kg_co2e,
       CASE WHEN q.total_kg_co2e <> 0 THEN c.value::float8 / q.total_kg_co2e END AS share
FROM qs_footprint q
JOIN footprint f ON f.id = q.footprint_id
CROSS JOIN LATERAL jsonb_each_text(f.by_category) c;

-- Breakdown by source (item, meter with its machine), with what it adds over the
-- period: kg CO2e per declared unit x units produced.
CREATE VIEW qs_footprint_source AS
SELECT q.footprint_id, q.site_id, q.period_label, q.item_id, q.item_type, q.declared_unit,
       q.units_produced, s ->> 'category' AS category, s ->> 'source_kind' AS source_kind,
       s ->> 'source_id' AS source_id, s ->> 'machine_id' AS machine_id,
       (s ->> 'amount')::float8 AS amount, s ->> 'amount_unit' AS amount_unit,
       (s ->> 'kg_co2e')::float8 AS kg_co2e,
       (s ->> 'kg_co2e')::float8 * q.units_produced AS period_kg_co2e,
       CASE WHEN q.total_kg_co2e <> 0 THEN (s ->> 'kg_co2e')::float8 / q.total_kg_co2e END
           AS share
FROM qs_footprint q
JOIN footprint f ON f.id = q.footprint_id
CROSS JOIN LATERAL jsonb_array_elements(f.by_source) s;

-- The site's meters and production in a run, from one of its audit records (every
-- record of a run holds all of the site's energy and production data), with each meter's
-- kWh (natural gas in m3 at the site's calorific value) and kg CO2e at the factors the
-- run used. Totals as metered: gaps are not filled here.
CREATE VIEW run_meter_energy AS
WITH run_record AS (
    SELECT r.run_id, r.site_id, r.period_label, d.record
    FROM latest_calculation_run r
    CROSS JOIN LATERAL (
        SELECT a.record_json::jsonb AS record
        FROM audit_record a JOIN footprint f ON f.id = a.footprint_id
        WHERE f.run_id = r.run_id
        ORDER BY a.sequence
        LIMIT 1
    ) d
),
meter AS (
    SELECT rr.run_id, rr.site_id, rr.period_label, rr.record -> 'steps' AS steps,
           m -> 'meter_id' ->> i AS meter_id, m -> 'machine_id' ->> i AS machine_id,
           m -> 'quantity' ->> i AS quantity, m -> 'unit' ->> i AS unit,
           (m -> 'total' ->> i)::float8 AS total
    FROM run_record rr
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

CREATE VIEW run_machine_production AS
SELECT r.run_id, r.site_id, r.period_label,
       p -> 'machine_id' ->> i AS machine_id, p -> 'item_id' ->> i AS item_id,
       (p -> 'quantity' ->> i)::float8 AS quantity,
       (SELECT m -> 'process' ->> j
        FROM generate_series(0, jsonb_array_length(m -> 'machine_id') - 1) j
        WHERE m -> 'machine_id' ->> j = p -> 'machine_id' ->> i) AS process
FROM latest_calculation_run r
CROSS JOIN LATERAL (
    SELECT a.record_json::jsonb -> 'inputs' AS inputs
    FROM audit_record a JOIN footprint f ON f.id = a.footprint_id
    WHERE f.run_id = r.run_id
    ORDER BY a.sequence
    LIMIT 1
) d
CROSS JOIN LATERAL (SELECT d.inputs -> 'production' AS p, d.inputs -> 'machines' AS m) t
CROSS JOIN LATERAL generate_series(0, jsonb_array_length(p -> 'machine_id') - 1) i;

-- Energy intensity by machine: metered kWh and kg CO2e per unit produced, against the
-- best machine of the same process in the same period across all sites. Same process:
-- the same `process` in the machines data set and the same items made (kWh per unit of
-- different items do not compare).
CREATE VIEW qs_machine_energy AS
WITH machine AS (
    SELECT p.run_id, p.site_id, p.period_label, p.machine_id,
           min(p.process) AS process,
           string_agg(DISTINCT p.item_id, ',' ORDER BY p.item_id) AS items_made,
           sum(p.quantity) AS units_produced
    FROM run_machine_production p
    GROUP BY p.run_id, p.site_id, p.period_label, p.machine_id
),
energy AS (
    SELECT e.run_id, e.machine_id,
           coalesce(sum(e.kwh) FILTER (WHERE e.quantity = 'electricity'), 0) AS electricity_kwh,
           coalesce(sum(e.kwh) FILTER (WHERE e.quantity = 'natural_gas'), 0) AS natural_gas_kwh,
           sum(e.kwh) AS kwh, sum(e.kg_co2e) AS kg_co2e
    FROM run_meter_energy e
    WHERE e.machine_id IS NOT NULL
    GROUP BY e.run_id, e.machine_id
),
intensity AS (
    SELECT m.*, e.electricity_kwh, e.natural_gas_kwh, e.kwh, e.kg_co2e,
           CASE WHEN m.units_produced > 0 THEN e.kwh / m.units_produced END AS kwh_per_unit,
           CASE WHEN m.units_produced > 0 THEN e.kg_co2e / m.units_produced END
               AS kg_co2e_per_unit
    FROM machine m
    JOIN energy e ON e.run_id = m.run_id AND e.machine_id = m.machine_id
)
SELECT i.*,
       min(kwh_per_unit) OVER peers AS best_kwh_per_unit,
       kwh_per_unit / nullif(min(kwh_per_unit) OVER peers, 0) AS kwh_ratio_to_best,
       min(kg_co2e_per_unit) OVER peers AS best_kg_co2e_per_unit,
       kg_co2e_per_unit / nullif(min(kg_co2e_per_unit) OVER peers, 0)
           AS kg_co2e_ratio_to_best,
       count(*) OVER peers AS peers
FROM intensity i
WINDOW peers AS (PARTITION BY i.period_label, i.process, i.items_made);

-- Energy intensity by site: all metered kWh over every unit produced at the site
-- (sub-assemblies included, as overhead is allocated), per period.
CREATE VIEW qs_site_energy AS
SELECT e.run_id, e.site_id, e.period_label,
       coalesce(sum(e.kwh) FILTER (WHERE e.quantity = 'electricity'), 0) AS electricity_kwh,
       coalesce(sum(e.kwh) FILTER (WHERE e.quantity = 'natural_gas'), 0) AS natural_gas_kwh,
       sum(e.kwh) AS kwh, sum(e.kg_co2e) AS kg_co2e, p.units_produced,
       sum(e.kwh) / nullif(p.units_produced, 0) AS kwh_per_unit,
       sum(e.kg_co2e) / nullif(p.units_produced, 0) AS kg_co2e_per_unit
FROM run_meter_energy e
JOIN (
    SELECT run_id, sum(quantity) AS units_produced FROM run_machine_production GROUP BY run_id
) p ON p.run_id = e.run_id
GROUP BY e.run_id, e.site_id, e.period_label, p.units_produced;

-- Benchmark across sites: the same item in the same period at each site, by embodied
-- energy (kWh per declared unit, sub-assemblies included) and footprint, against the
-- best site.
CREATE VIEW qs_site_item_energy AS
SELECT q.footprint_id, q.site_id, q.period_label, q.item_id, q.item_type, q.declared_unit,
       q.units_produced, q.electricity_kwh + q.natural_gas_kwh AS kwh_per_unit,
       q.electricity_kg_co2e + q.natural_gas_kg_co2e AS energy_kg_co2e_per_unit,
       q.total_kg_co2e AS kg_co2e_per_unit,
       min(q.electricity_kwh + q.natural_gas_kwh) OVER peers AS best_kwh_per_unit,
       min(q.total_kg_co2e) OVER peers AS best_kg_co2e_per_unit,
       q.total_kg_co2e / nullif(min(q.total_kg_co2e) OVER peers, 0) AS kg_co2e_ratio_to_best,
       count(*) OVER peers AS peers
FROM qs_footprint q
WINDOW peers AS (PARTITION BY q.period_label, q.item_id);
