-- One table per static kind (pcf.formats.definitions.STATIC_FORMATS): the rows of every
-- dataset version of that kind, with exactly the format's columns, NOT NULL where the
-- format requires a value. tests/integration/test_migrations.py checks that these
-- tables and the definitions never drift apart: a format change needs a new migration.
-- Rows are never updated (trigger); a new file is a new dataset version.

-- Items
CREATE TABLE ds_items (
    dataset_version_id bigint NOT NULL REFERENCES dataset_version (id),
    item_id            text NOT NULL,
    name               text NOT NULL,
    item_type          text NOT NULL,
    declared_unit      text NOT NULL,
    mass_per_piece_kg  double precision,
    standard_time_min  double precision,
    product_ids        text,
    cpc_code           text,
    PRIMARY KEY (dataset_version_id, item_id)
);
CREATE TRIGGER ds_items_immutable BEFORE UPDATE ON ds_items
    FOR EACH ROW EXECUTE FUNCTION pcf_forbid_update();

-- Bill of materials
CREATE TABLE ds_bom (
    dataset_version_id bigint NOT NULL REFERENCES dataset_version (id),
    parent_item_id     text NOT NULL,
    child_item_id      text NOT NULL,
    quantity           double precision NOT NULL,
    unit               text NOT NULL,
    scrap_rate         double precision,
    PRIMARY KEY (dataset_version_id, parent_item_id, child_item_id)
);
CREATE TRIGGER ds_bom_immutable BEFORE UPDATE ON ds_bom
    FOR EACH ROW EXECUTE FUNCTION pcf_forbid_update();

-- Emission factors
CREATE TABLE ds_emission_factors (
    dataset_version_id bigint NOT NULL REFERENCES dataset_version (id),
    factor_id          text NOT NULL,
    name               text NOT NULL,
    per_unit           text NOT NULL,
    co2_kg             double precision,
    ch4_kg             double precision,
    n2o_kg             double precision,
    co2e_kg            double precision,
    co2e_gwp_set       text,
    ch4_origin         text,
    energy_basis       text,
    source             text NOT NULL,
    year               bigint NOT NULL,
    valid_from         date,
    valid_to           date,
    PRIMARY KEY (dataset_version_id, factor_id)
);
CREATE TRIGGER ds_emission_factors_immutable BEFORE UPDATE ON ds_emission_factors
    FOR EACH ROW EXECUTE FUNCTION pcf_forbid_update();

-- Emission factor mapping
CREATE TABLE ds_factor_mapping (
    dataset_version_id bigint NOT NULL REFERENCES dataset_version (id),
    item_id            text NOT NULL,
    factor_id          text NOT NULL,
    PRIMARY KEY (dataset_version_id, item_id)
);
CREATE TRIGGER ds_factor_mapping_immutable BEFORE UPDATE ON ds_factor_mapping
    FOR EACH ROW EXECUTE FUNCTION pcf_forbid_update();

-- Supplier footprints
CREATE TABLE ds_supplier_footprints (
    dataset_version_id bigint NOT NULL REFERENCES dataset_version (id),
    item_id            text NOT NULL,
    supplier           text NOT NULL,
    co2e_kg            double precision NOT NULL,
    per_unit           text NOT NULL,
    primary_data_share double precision NOT NULL,
    period_start       date NOT NULL,
    period_end         date NOT NULL,
    pcf_id             text,
    PRIMARY KEY (dataset_version_id, item_id)
);
CREATE TRIGGER ds_supplier_footprints_immutable BEFORE UPDATE ON ds_supplier_footprints
    FOR EACH ROW EXECUTE FUNCTION pcf_forbid_update();

-- Electricity technology lifecycle factors
CREATE TABLE ds_technology_factors (
    dataset_version_id bigint NOT NULL REFERENCES dataset_version (id),
    technology         text NOT NULL,
    co2e_kg            double precision NOT NULL,
    per_unit           text NOT NULL,
    source             text NOT NULL,
    year               bigint NOT NULL,
    PRIMARY KEY (dataset_version_id, technology)
);
CREATE TRIGGER ds_technology_factors_immutable BEFORE UPDATE ON ds_technology_factors
    FOR EACH ROW EXECUTE FUNCTION pcf_forbid_update();

-- Grid mixes
CREATE TABLE ds_grid_mixes (
    dataset_version_id bigint NOT NULL REFERENCES dataset_version (id),
    grid_region        text NOT NULL,
    technology         text NOT NULL,
    share              double precision NOT NULL,
    source             text NOT NULL,
    year               bigint NOT NULL,
    PRIMARY KEY (dataset_version_id, grid_region, technology)
);
CREATE TRIGGER ds_grid_mixes_immutable BEFORE UPDATE ON ds_grid_mixes
    FOR EACH ROW EXECUTE FUNCTION pcf_forbid_update();

-- Sites
CREATE TABLE ds_sites (
    dataset_version_id             bigint NOT NULL REFERENCES dataset_version (id),
    site_id                        text NOT NULL,
    name                           text NOT NULL,
    time_zone                      text NOT NULL,
    grid_region                    text NOT NULL,
    electricity_method             text,
    contract_factor_kg_per_kwh     double precision,
    contract_covered_share         double precision,
    residual_mix_factor_kg_per_kwh double precision,
    gas_calorific_value_mj_per_m3  double precision,
    gas_calorific_basis            text,
    gas_factor_id                  text,
    gas_upstream_factor_id         text,
    overhead_allocation_key        text,
    PRIMARY KEY (dataset_version_id, site_id)
);
CREATE TRIGGER ds_sites_immutable BEFORE UPDATE ON ds_sites
    FOR EACH ROW EXECUTE FUNCTION pcf_forbid_update();

-- Machines
CREATE TABLE ds_machines (
    dataset_version_id bigint NOT NULL REFERENCES dataset_version (id),
    machine_id         text NOT NULL,
    site_id            text NOT NULL,
    name               text NOT NULL,
    process            text NOT NULL,
    allocation_key     text,
    PRIMARY KEY (dataset_version_id, machine_id)
);
CREATE TRIGGER ds_machines_immutable BEFORE UPDATE ON ds_machines
    FOR EACH ROW EXECUTE FUNCTION pcf_forbid_update();

-- Meters
CREATE TABLE ds_meters (
    dataset_version_id bigint NOT NULL REFERENCES dataset_version (id),
    meter_id           text NOT NULL,
    site_id            text NOT NULL,
    machine_id         text,
    quantity           text NOT NULL,
    unit               text NOT NULL,
    item_id            text,
    window_seconds     bigint,
    PRIMARY KEY (dataset_version_id, meter_id)
);
CREATE TRIGGER ds_meters_immutable BEFORE UPDATE ON ds_meters
    FOR EACH ROW EXECUTE FUNCTION pcf_forbid_update();

-- Production counts
CREATE TABLE ds_production_counts (
    dataset_version_id bigint NOT NULL REFERENCES dataset_version (id),
    site_id            text NOT NULL,
    machine_id         text NOT NULL,
    item_id            text NOT NULL,
    period_start       date NOT NULL,
    period_end         date NOT NULL,
    quantity           double precision NOT NULL,
    PRIMARY KEY (dataset_version_id, machine_id, item_id, period_start)
);
CREATE TRIGGER ds_production_counts_immutable BEFORE UPDATE ON ds_production_counts
    FOR EACH ROW EXECUTE FUNCTION pcf_forbid_update();
