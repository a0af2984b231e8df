"""The input file formats: one definition per kind of file a user provides.

These definitions are the single source of truth: ``docs/formats.md`` is generated from
them (``pcf formats doc``), the validator checks files against them, and the loaders
map their columns to the database tables. Change a format here, nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from pcf.core.units import Dimension


class ColumnType(StrEnum):
    STRING = "string"
    NUMBER = "number"
    INTEGER = "integer"
    DATE = "date"  # ISO 8601 calendar date: 2026-01-31
    DATETIME = "datetime"  # ISO 8601 with a UTC offset: 2026-01-01T00:00:00+01:00
    CHOICE = "choice"  # one of Column.choices
    UNIT = "unit"  # a symbol of pcf.core.units.UNIT_SYMBOLS within Column.dimensions
    TIME_ZONE = "time_zone"  # an IANA time zone name: Europe/Berlin
    URN_LIST = "urn_list"  # one or more URNs separated by spaces


@dataclass(frozen=True)
class Reference:
    """The column's value must exist in ``column`` of the current ``kind`` data set."""

    kind: str
    column: str


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType
    description: str
    example: str
    required: bool = True
    default: str | None = None
    minimum: float | None = None  # inclusive
    maximum: float | None = None  # inclusive
    exclusive_minimum: float | None = None
    exclusive_maximum: float | None = None
    choices: tuple[str, ...] = ()
    dimensions: tuple[Dimension, ...] = ()
    references: Reference | None = None


@dataclass(frozen=True)
class FileFormat:
    kind: str
    title: str
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    # Rules across columns or rows, in words; each is enforced by the validator.
    rules: tuple[str, ...] = field(default=())
    # False when a repeated key is not an error but a newer revision of the row.
    key_unique: bool = True

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)


class ItemType(StrEnum):
    PRODUCT = "product"
    SUBASSEMBLY = "subassembly"
    MATERIAL = "material"
    PURCHASED_PART = "purchased_part"


IN_HOUSE_ITEM_TYPES = (ItemType.PRODUCT, ItemType.SUBASSEMBLY)


class MeterQuantity(StrEnum):
    ELECTRICITY = "electricity"
    NATURAL_GAS = "natural_gas"
    PRODUCTION_COUNT = "production_count"


class AllocationKey(StrEnum):
    UNITS = "units"
    MASS = "mass"
    TIME = "time"


class ElectricityMethod(StrEnum):
    LOCATION = "location"
    MARKET = "market"


class CalorificBasis(StrEnum):
    GROSS = "gross"
    NET = "net"


class GwpSet(StrEnum):
    AR6 = "AR6"
    AR5 = "AR5"


class TelemetryGaps(StrEnum):
    """What a calculation does with the windows a meter did not send (a method setting)."""

    LEAVE = "leave"  # count only what arrived; completeness is reported
    FILL_MEAN_RATE = "fill_mean_rate"  # extend the meter's mean rate over the gaps, flagged


class Ch4Origin(StrEnum):
    FOSSIL = "fossil"
    NON_FOSSIL = "non_fossil"


_AMOUNT_DIMENSIONS = (
    Dimension.PIECE,
    Dimension.MASS,
    Dimension.AREA,
    Dimension.VOLUME,
    Dimension.LENGTH,
    Dimension.ENERGY,
)


def _choices(enum: type[StrEnum]) -> tuple[str, ...]:
    return tuple(member.value for member in enum)


ITEMS = FileFormat(
    kind="items",
    title="Items",
    description=(
        "Every product, sub-assembly, material and purchased part, with the unit its "
        "footprint is declared in."
    ),
    key=("item_id",),
    columns=(
        Column("item_id", ColumnType.STRING, "Unique item identifier.", "P-100"),
        Column("name", ColumnType.STRING, "Human-readable name.", "Pump housing"),
        Column(
            "item_type",
            ColumnType.CHOICE,
            "product and subassembly are made in-house; material and purchased_part "
            "are bought and carry an emission factor or a supplier footprint.",
            "product",
            choices=_choices(ItemType),
        ),
        Column(
            "declared_unit",
            ColumnType.UNIT,
            "The unit one footprint refers to (kg CO2e per declared unit).",
            "piece",
            dimensions=_AMOUNT_DIMENSIONS,
        ),
        Column(
            "mass_per_piece_kg",
            ColumnType.NUMBER,
            "Mass of one piece in kg; needed to convert between pieces and mass, and "
            "for allocation by mass.",
            "2.5",
            required=False,
            exclusive_minimum=0,
        ),
        Column(
            "standard_time_min",
            ColumnType.NUMBER,
            "Standard production time per declared unit in minutes, for allocation by "
            "standard time.",
            "4.5",
            required=False,
            exclusive_minimum=0,
        ),
        Column(
            "product_ids",
            ColumnType.URN_LIST,
            "Product identifiers as URNs, separated by spaces (PACT productIds).",
            "urn:pact:sample.com:product-id:P-100",
            required=False,
        ),
        Column(
            "cpc_code",
            ColumnType.STRING,
            "UN CPC classification code (PACT productCategoryCpc / productClassifications).",
            "43240",
            required=False,
        ),
    ),
)

BOM = FileFormat(
    kind="bom",
    title="Bill of materials",
    description=(
        "One line per parent and child: how much of the child one declared unit of the "
        "parent consumes, before scrap."
    ),
    key=("parent_item_id", "child_item_id"),
    rules=(
        "The parent must be a product or subassembly.",
        "The lines must not form a cycle; a cycle is reported with the items that form it.",
        "The unit must convert to the child's declared unit (pieces and mass through the "
        "child's mass_per_piece_kg).",
    ),
    columns=(
        Column(
            "parent_item_id",
            ColumnType.STRING,
            "The item being made.",
            "P-100",
            references=Reference("items", "item_id"),
        ),
        Column(
            "child_item_id",
            ColumnType.STRING,
            "The item consumed.",
            "A-200",
            references=Reference("items", "item_id"),
        ),
        Column(
            "quantity",
            ColumnType.NUMBER,
            "Quantity of the child per declared unit of the parent, scrap excluded.",
            "2",
            exclusive_minimum=0,
        ),
        Column(
            "unit", ColumnType.UNIT, "Unit of quantity.", "piece", dimensions=_AMOUNT_DIMENSIONS
        ),
        Column(
            "scrap_rate",
            ColumnType.NUMBER,
            "Scrap as a fraction (0.02 = 2 %): the parent consumes quantity x (1 + scrap_rate).",
            "0.02",
            required=False,
            default="0",
            minimum=0,
            exclusive_maximum=1,
        ),
    ),
)

EMISSION_FACTORS = FileFormat(
    kind="emission_factors",
    title="Emission factors",
    description=(
        "Database (secondary) emission factors: either greenhouse gases separately "
        "(CO2, CH4, N2O, weighted with the calculation's GWP set) or a CO2e value "
        "computed with the GWP set it states. All masses are kg per per_unit."
    ),
    key=("factor_id",),
    rules=(
        "Give co2e_kg with co2e_gwp_set, or at least co2_kg (with optional ch4_kg, n2o_kg); "
        "not both.",
        "valid_to, when given, is not before valid_from.",
    ),
    columns=(
        Column("factor_id", ColumnType.STRING, "Unique factor identifier.", "EF-STEEL-BOF"),
        Column("name", ColumnType.STRING, "What the factor describes.", "Steel, BF-BOF route"),
        Column(
            "per_unit",
            ColumnType.UNIT,
            "The unit of activity the factor refers to.",
            "kg",
            dimensions=_AMOUNT_DIMENSIONS,
        ),
        Column("co2_kg", ColumnType.NUMBER, "kg CO2 per per_unit.", "", required=False, minimum=0),
        Column("ch4_kg", ColumnType.NUMBER, "kg CH4 per per_unit.", "", required=False, minimum=0),
        Column("n2o_kg", ColumnType.NUMBER, "kg N2O per per_unit.", "", required=False, minimum=0),
        Column(
            "co2e_kg",
            ColumnType.NUMBER,
            "kg CO2e per per_unit, used as given.",
            "2.3",
            required=False,
            minimum=0,
        ),
        Column(
            "co2e_gwp_set",
            ColumnType.CHOICE,
            "GWP set co2e_kg was computed with.",
            "AR6",
            required=False,
            choices=_choices(GwpSet),
        ),
        Column(
            "ch4_origin",
            ColumnType.CHOICE,
            "Whether ch4_kg is fossil or non-fossil methane.",
            "fossil",
            required=False,
            default="fossil",
            choices=_choices(Ch4Origin),
        ),
        Column(
            "energy_basis",
            ColumnType.CHOICE,
            "For fuel factors per unit of energy: gross (HHV) or net (LHV) calorific basis.",
            "",
            required=False,
            choices=_choices(CalorificBasis),
        ),
        Column("source", ColumnType.STRING, "Publication the factor comes from.", "worldsteel"),
        Column("year", ColumnType.INTEGER, "Reference year.", "2021", minimum=1900, maximum=2100),
        Column("valid_from", ColumnType.DATE, "First day of validity.", "", required=False),
        Column("valid_to", ColumnType.DATE, "Last day of validity.", "", required=False),
    ),
)

FACTOR_MAPPING = FileFormat(
    kind="factor_mapping",
    title="Emission factor mapping",
    description="Which database emission factor applies to which material or purchased part.",
    key=("item_id",),
    rules=(
        "The item is a material or purchased_part.",
        "The factor's per_unit converts to the item's declared unit (pieces and mass "
        "through the item's mass_per_piece_kg).",
    ),
    columns=(
        Column(
            "item_id",
            ColumnType.STRING,
            "A material or purchased part.",
            "MAT-STEEL",
            references=Reference("items", "item_id"),
        ),
        Column(
            "factor_id",
            ColumnType.STRING,
            "The emission factor that applies.",
            "EF-STEEL-BOF",
            references=Reference("emission_factors", "factor_id"),
        ),
    ),
)

SUPPLIER_FOOTPRINTS = FileFormat(
    kind="supplier_footprints",
    title="Supplier footprints",
    description=(
        "Supplier-specific footprints of purchased items (primary data). They take "
        "precedence over a mapped database factor."
    ),
    key=("item_id",),
    rules=(
        "period_end is not before period_start.",
        "The item is a material or purchased_part.",
        "per_unit converts to the item's declared unit (pieces and mass through the "
        "item's mass_per_piece_kg).",
    ),
    columns=(
        Column(
            "item_id",
            ColumnType.STRING,
            "The purchased item.",
            "C-300",
            references=Reference("items", "item_id"),
        ),
        Column("supplier", ColumnType.STRING, "Supplier name or identifier.", "Acme Castings"),
        Column(
            "co2e_kg",
            ColumnType.NUMBER,
            "The supplier's footprint in kg CO2e per per_unit.",
            "1.2",
            minimum=0,
        ),
        Column(
            "per_unit",
            ColumnType.UNIT,
            "The unit the supplier declared.",
            "piece",
            dimensions=_AMOUNT_DIMENSIONS,
        ),
        Column(
            "primary_data_share",
            ColumnType.NUMBER,
            "The supplier's own primary data share as a fraction (PACT primaryDataShare / 100).",
            "0.5",
            minimum=0,
            maximum=1,
        ),
        Column("period_start", ColumnType.DATE, "Reference period start.", "2025-01-01"),
        Column("period_end", ColumnType.DATE, "Reference period end.", "2025-12-31"),
        Column(
            "pcf_id",
            ColumnType.STRING,
            "The supplier's PACT ProductFootprint id, when known.",
            "",
            required=False,
        ),
        Column(
            "source",
            ColumnType.STRING,
            "Where the footprint came from: a PACT file (upload <upload id>) or the "
            "supplier's PACT API URL it was pulled from. Filled by the PACT import.",
            "",
            required=False,
        ),
        Column(
            "retrieved_at",
            ColumnType.DATETIME,
            "When the PACT footprint was uploaded or pulled.",
            "",
            required=False,
        ),
        Column(
            "pact_spec_version",
            ColumnType.STRING,
            "The PACT footprint's specVersion.",
            "",
            required=False,
        ),
        Column(
            "pact_status",
            ColumnType.STRING,
            "The PACT footprint's status when it was imported (only Active is imported).",
            "",
            required=False,
        ),
        Column(
            "pact_version",
            ColumnType.INTEGER,
            "The PACT v2 footprint's version (v3 has none).",
            "",
            required=False,
            minimum=0,
        ),
        Column(
            "pact_figure",
            ColumnType.STRING,
            "The PACT field co2e_kg was taken from (pcfExcludingBiogenicUptake by default).",
            "",
            required=False,
        ),
    ),
)

TECHNOLOGY_FACTORS = FileFormat(
    kind="technology_factors",
    title="Electricity technology lifecycle factors",
    description="Lifecycle emission factor of each electricity generation technology.",
    key=("technology",),
    columns=(
        Column("technology", ColumnType.STRING, "Generation technology.", "coal"),
        Column(
            "co2e_kg",
            ColumnType.NUMBER,
            "kg CO2e per per_unit of electricity generated (820 kg per MWh = 820 g per kWh).",
            "820",
            minimum=0,
        ),
        Column(
            "per_unit",
            ColumnType.UNIT,
            "Energy unit.",
            "MWh",
            dimensions=(Dimension.ENERGY,),
        ),
        Column("source", ColumnType.STRING, "Publication.", "IPCC AR5 WG3 Annex III"),
        Column("year", ColumnType.INTEGER, "Publication year.", "2014", minimum=1900, maximum=2100),
    ),
)

GRID_MIXES = FileFormat(
    kind="grid_mixes",
    title="Grid mixes",
    description="Share of each technology in a grid region's electricity generation.",
    key=("grid_region", "technology"),
    rules=("The shares of each grid region add up to 1 (within 1e-6).",),
    columns=(
        Column("grid_region", ColumnType.STRING, "Grid region identifier.", "DE"),
        Column(
            "technology",
            ColumnType.STRING,
            "Generation technology.",
            "coal",
            references=Reference("technology_factors", "technology"),
        ),
        Column(
            "share",
            ColumnType.NUMBER,
            "Share of generation as a fraction (0.4 = 40 %).",
            "0.4",
            minimum=0,
            maximum=1,
        ),
        Column("source", ColumnType.STRING, "Publication.", "National statistics 2025"),
        Column("year", ColumnType.INTEGER, "Reference year.", "2025", minimum=1900, maximum=2100),
    ),
)

SITES = FileFormat(
    kind="sites",
    title="Sites",
    description="Factories, with their time zone, grid region, gas and electricity settings.",
    key=("site_id",),
    rules=(
        "market electricity needs contract_factor_kg_per_kwh and contract_covered_share.",
        "gas_calorific_basis must match the energy_basis of gas_factor_id when that "
        "factor states one.",
        "gas_factor_id and gas_upstream_factor_id name factors per unit of energy.",
    ),
    columns=(
        Column("site_id", ColumnType.STRING, "Unique site identifier.", "S1"),
        Column("name", ColumnType.STRING, "Site name.", "Plant Stuttgart"),
        Column(
            "time_zone",
            ColumnType.TIME_ZONE,
            "IANA time zone; reference periods are calendar months in it.",
            "Europe/Berlin",
        ),
        Column(
            "grid_region",
            ColumnType.STRING,
            "Grid region for the location-based electricity factor.",
            "DE",
            references=Reference("grid_mixes", "grid_region"),
        ),
        Column(
            "electricity_method",
            ColumnType.CHOICE,
            "Which electricity factor the footprint uses; the other is reported beside it.",
            "location",
            required=False,
            default="location",
            choices=_choices(ElectricityMethod),
        ),
        Column(
            "contract_factor_kg_per_kwh",
            ColumnType.NUMBER,
            "Market-based: emission factor of the supply contract (kg CO2e/kWh).",
            "",
            required=False,
            minimum=0,
        ),
        Column(
            "contract_covered_share",
            ColumnType.NUMBER,
            "Market-based: fraction of consumption the contract covers.",
            "",
            required=False,
            minimum=0,
            maximum=1,
        ),
        Column(
            "residual_mix_factor_kg_per_kwh",
            ColumnType.NUMBER,
            "Market-based: residual-mix factor for the uncovered share (else location-based).",
            "",
            required=False,
            minimum=0,
        ),
        Column(
            "gas_calorific_value_mj_per_m3",
            ColumnType.NUMBER,
            "Calorific value of the natural gas, to turn metered volume into energy.",
            "36",
            required=False,
            exclusive_minimum=0,
        ),
        Column(
            "gas_calorific_basis",
            ColumnType.CHOICE,
            "Whether the calorific value is gross (HHV) or net (LHV).",
            "gross",
            required=False,
            default="gross",
            choices=_choices(CalorificBasis),
        ),
        Column(
            "gas_factor_id",
            ColumnType.STRING,
            "Combustion emission factor of natural gas, per unit of energy.",
            "EF-NG-COMBUSTION",
            required=False,
            references=Reference("emission_factors", "factor_id"),
        ),
        Column(
            "gas_upstream_factor_id",
            ColumnType.STRING,
            "Upstream (well-to-tank) factor of natural gas, per unit of energy.",
            "",
            required=False,
            references=Reference("emission_factors", "factor_id"),
        ),
        Column(
            "overhead_allocation_key",
            ColumnType.CHOICE,
            "How site overhead energy is shared over the units produced at the site.",
            "units",
            required=False,
            default="units",
            choices=_choices(AllocationKey),
        ),
    ),
)

MACHINES = FileFormat(
    kind="machines",
    title="Machines",
    description="Production equipment, each at one site.",
    key=("machine_id",),
    columns=(
        Column("machine_id", ColumnType.STRING, "Unique machine identifier.", "M1"),
        Column(
            "site_id",
            ColumnType.STRING,
            "Site the machine stands at.",
            "S1",
            references=Reference("sites", "site_id"),
        ),
        Column("name", ColumnType.STRING, "Machine name.", "Assembly line 1"),
        Column(
            "process",
            ColumnType.STRING,
            "Process the machine performs, to benchmark like with like.",
            "assembly",
        ),
        Column(
            "allocation_key",
            ColumnType.CHOICE,
            "How the machine's energy is shared over the items it produced.",
            "units",
            required=False,
            default="units",
            choices=_choices(AllocationKey),
        ),
    ),
)

METERS = FileFormat(
    kind="meters",
    title="Meters",
    description=(
        "Electricity and natural-gas meters and production counters. A meter without a "
        "machine measures site overhead (HVAC, lighting, compressed air)."
    ),
    key=("meter_id",),
    rules=(
        "A production_count meter is attached to a machine and names the item it counts.",
        "The unit fits the quantity: energy for electricity, energy or volume for "
        "natural_gas, piece (or a mass that converts to the counted item's declared unit) "
        "for production_count.",
        "The machine, when given, stands at the meter's site.",
    ),
    columns=(
        Column("meter_id", ColumnType.STRING, "Unique meter identifier.", "M1-E"),
        Column(
            "site_id",
            ColumnType.STRING,
            "Site of the meter.",
            "S1",
            references=Reference("sites", "site_id"),
        ),
        Column(
            "machine_id",
            ColumnType.STRING,
            "Machine the meter measures; empty for site overhead.",
            "M1",
            required=False,
            references=Reference("machines", "machine_id"),
        ),
        Column(
            "quantity",
            ColumnType.CHOICE,
            "What the meter measures.",
            "electricity",
            choices=_choices(MeterQuantity),
        ),
        Column(
            "unit",
            ColumnType.UNIT,
            "Unit the meter reports in.",
            "kWh",
            dimensions=(Dimension.ENERGY, Dimension.VOLUME, Dimension.PIECE, Dimension.MASS),
        ),
        Column(
            "item_id",
            ColumnType.STRING,
            "For a production counter: the item it counts.",
            "",
            required=False,
            references=Reference("items", "item_id"),
        ),
        Column(
            "window_seconds",
            ColumnType.INTEGER,
            "Length of the telemetry windows the edge sends for this meter.",
            "60",
            required=False,
            default="60",
            minimum=1,
            maximum=86400,
        ),
    ),
)

PRODUCTION_COUNTS = FileFormat(
    kind="production_counts",
    title="Production counts",
    description=(
        "Uploaded production counts. A count for the same machine, item and period "
        "replaces the production counters' telemetry for that period."
    ),
    key=("machine_id", "item_id", "period_start"),
    rules=("period_end is after period_start.", "The machine stands at the site."),
    columns=(
        Column(
            "site_id", ColumnType.STRING, "Site.", "S1", references=Reference("sites", "site_id")
        ),
        Column(
            "machine_id",
            ColumnType.STRING,
            "Machine that produced the item.",
            "M1",
            references=Reference("machines", "machine_id"),
        ),
        Column(
            "item_id",
            ColumnType.STRING,
            "Item produced.",
            "P-100",
            references=Reference("items", "item_id"),
        ),
        Column(
            "period_start",
            ColumnType.DATE,
            "First day of the period (site time zone).",
            "2026-01-01",
        ),
        Column(
            "period_end",
            ColumnType.DATE,
            "Day after the last day of the period (exclusive).",
            "2026-02-01",
        ),
        Column(
            "quantity",
            ColumnType.NUMBER,
            "Units produced, in the item's declared unit.",
            "500",
            minimum=0,
        ),
    ),
)

TELEMETRY_WINDOWS = FileFormat(
    kind="telemetry_windows",
    title="Telemetry windows",
    description=(
        "What the edge component emits: one record per meter and wall-clock window. "
        "A later record for the same meter and window with a higher revision replaces "
        "the earlier one; the same revision again is ignored."
    ),
    key=("meter_id", "window_start"),
    key_unique=False,
    rules=("window_end is after window_start.", "samples_dropped <= samples_received."),
    columns=(
        Column("site_id", ColumnType.STRING, "Site.", "S1"),
        Column(
            "machine_id", ColumnType.STRING, "Machine, empty for overhead.", "M1", required=False
        ),
        Column("meter_id", ColumnType.STRING, "Meter.", "M1-E"),
        Column(
            "quantity",
            ColumnType.CHOICE,
            "What was measured.",
            "electricity",
            choices=_choices(MeterQuantity),
        ),
        Column(
            "item_id",
            ColumnType.STRING,
            "For production counts: the item counted.",
            "",
            required=False,
        ),
        Column(
            "window_start",
            ColumnType.DATETIME,
            "Window start, inclusive, ISO 8601 with offset.",
            "2026-01-05T06:00:00+00:00",
        ),
        Column(
            "window_end",
            ColumnType.DATETIME,
            "Window end, exclusive.",
            "2026-01-05T06:01:00+00:00",
        ),
        Column(
            "value",
            ColumnType.NUMBER,
            "Amount in the window (a delta, not a counter).",
            "1.25",
            minimum=0,
        ),
        Column(
            "unit",
            ColumnType.UNIT,
            "Unit of value.",
            "kWh",
            dimensions=(Dimension.ENERGY, Dimension.VOLUME, Dimension.PIECE, Dimension.MASS),
        ),
        Column("revision", ColumnType.INTEGER, "Revision of this window, from 0.", "0", minimum=0),
        Column(
            "samples_received",
            ColumnType.INTEGER,
            "Meter readings that went into the window.",
            "60",
            minimum=0,
        ),
        Column(
            "samples_dropped",
            ColumnType.INTEGER,
            "Readings dropped as implausible.",
            "0",
            minimum=0,
        ),
    ),
)

# The static kinds, in load order: a kind may reference only kinds before it.
STATIC_FORMATS: tuple[FileFormat, ...] = (
    ITEMS,
    BOM,
    EMISSION_FACTORS,
    FACTOR_MAPPING,
    SUPPLIER_FOOTPRINTS,
    TECHNOLOGY_FACTORS,
    GRID_MIXES,
    SITES,
    MACHINES,
    METERS,
    PRODUCTION_COUNTS,
)

FORMATS: dict[str, FileFormat] = {f.kind: f for f in (*STATIC_FORMATS, TELEMETRY_WINDOWS)}
