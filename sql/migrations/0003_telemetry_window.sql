-- Telemetry windows: the latest revision of each meter's amount per wall-clock window,
-- in the canonical unit of its dimension (pcf.core.units.CANONICAL_UNIT). Written only
-- by PostgresTelemetryStore.write_windows: a higher revision replaces, the same or a
-- lower one is ignored. A plain table for now; partitioning by window_start comes later.
CREATE TABLE telemetry_window (
    site_id          text        NOT NULL,
    machine_id       text,
    meter_id         text        NOT NULL,
    quantity         text        NOT NULL
                     CHECK (quantity IN ('electricity', 'natural_gas', 'production_count')),
    item_id          text,
    window_start     timestamptz NOT NULL,
    window_end       timestamptz NOT NULL,
    -- Exact decimal: period totals are exact sums of these.
    value            numeric     NOT NULL CHECK (value >= 0),
    unit             text        NOT NULL CHECK (unit IN ('kWh', 'm3', 'piece', 'kg', 'm2', 'm')),
    revision         integer     NOT NULL CHECK (revision >= 0),
    samples_received integer     NOT NULL CHECK (samples_received >= 0),
    samples_dropped  integer     NOT NULL CHECK (samples_dropped >= 0),
    ingested_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (meter_id, window_start),
    CHECK (window_end > window_start),
    CHECK (samples_dropped <= samples_received)
);

CREATE INDEX telemetry_window_site_start ON telemetry_window (site_id, window_start);
