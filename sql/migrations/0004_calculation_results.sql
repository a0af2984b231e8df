-- Calculation runs and the footprints they produced. A footprint is one item at one site
-- for one reference period from one run, in kg CO2e per declared unit.
CREATE TABLE calculation_run (
    id               bigserial PRIMARY KEY,
    site_id          text        NOT NULL,
    period_start     timestamptz NOT NULL,
    period_end       timestamptz NOT NULL,
    period_label     text        NOT NULL,  -- e.g. '2026-01'
    settings         jsonb       NOT NULL,  -- method settings (GWP set, allocation keys, ...)
    dataset_versions jsonb       NOT NULL,  -- kind -> dataset_version id used
    started_at       timestamptz NOT NULL DEFAULT now(),
    finished_at      timestamptz,
    status           text        NOT NULL DEFAULT 'running'
                     CHECK (status IN ('running', 'succeeded', 'failed')),
    CHECK (period_end > period_start),
    CHECK ((status = 'running') = (finished_at IS NULL))
);

CREATE INDEX calculation_run_site_period ON calculation_run (site_id, period_label);

CREATE TABLE footprint (
    id                           bigserial PRIMARY KEY,
    run_id                       bigint           NOT NULL REFERENCES calculation_run (id),
    item_id                      text             NOT NULL,
    site_id                      text             NOT NULL,
    period_label                 text             NOT NULL,
    declared_unit                text             NOT NULL,
    total_kg_co2e                double precision NOT NULL,  -- per declared unit
    by_category                  jsonb            NOT NULL,  -- category -> kg CO2e
    by_source                    jsonb            NOT NULL,  -- item/machine/meter -> kg CO2e
    -- Electricity by both methods, per declared unit: the site's setting picks the one in
    -- total_kg_co2e, the other is reported beside it.
    electricity_location_kg_co2e double precision,
    electricity_market_kg_co2e   double precision,
    primary_data_share           double precision NOT NULL,  -- fraction, PACT-style
    complete                     boolean          NOT NULL,
    notes                        jsonb            NOT NULL DEFAULT '[]'::jsonb,
    UNIQUE (run_id, item_id)
);

CREATE INDEX footprint_site_period_item ON footprint (site_id, period_label, item_id);
