"""Public reference figures and illustrative catalogues behind the sample factory.

Every factor carries its source and year, as the project's public reference figures
(REFERENCE_DATA.md) give them. Figures not read from a primary document say "illustrative"
in their source, and so do the sample's own inventions (supplier footprints, grid mixes,
site settings).
"""

from __future__ import annotations

from dataclasses import dataclass

from pcf.core.units import conversion_factor

# -- emission factors ------------------------------------------------------------------


@dataclass(frozen=True)
class SampleFactor:
    """One row of emission_factors: CO2e with its GWP set, or the gases separately."""

    factor_id: str
    name: str
    per_unit: str
    source: str
    year: int
    co2e_kg: float | None = None
    co2e_gwp_set: str | None = None
    co2_kg: float | None = None
    ch4_kg: float | None = None
    n2o_kg: float | None = None
    energy_basis: str | None = None


# US EPA GHG Emission Factors Hub 2024, natural gas, per MMBtu (HHV): 53.06 kg CO2,
# 1.0 g CH4, 0.10 g N2O. Converted per kWh with pint's MMBtu (1e6 ISO Btu, 293.07 kWh),
# rounded to 6 significant digits.
_KWH_PER_MMBTU = conversion_factor("MMBtu", "kWh")
NATURAL_GAS_CO2_KG_PER_KWH = float(f"{53.06 / _KWH_PER_MMBTU:.6g}")
NATURAL_GAS_CH4_KG_PER_KWH = float(f"{1.0e-3 / _KWH_PER_MMBTU:.6g}")
NATURAL_GAS_N2O_KG_PER_KWH = float(f"{0.10e-3 / _KWH_PER_MMBTU:.6g}")
# EPA: 0.001026 MMBtu per standard cubic foot (HHV), as MJ per m3.
EPA_NATURAL_GAS_HHV_MJ_PER_M3 = round(
    0.001026 * conversion_factor("MMBtu", "MJ") / conversion_factor("ft3", "m3"), 2
)

_NOT_STATED = "GWP set not stated in REFERENCE_DATA.md; AR5 assumed"

FACTORS: tuple[SampleFactor, ...] = (
    SampleFactor(
        "EF-STEEL-AVG",
        "Crude steel, global average",
        "t",
        "worldsteel (1.91 t CO2 per t crude steel)",
        2021,
        co2_kg=1910.0,
    ),
    SampleFactor(
        "EF-STEEL-BOF",
        "Steel, BF-BOF route",
        "kg",
        f"commonly quoted, illustrative (approx.); {_NOT_STATED}",
        2021,
        co2e_kg=2.3,
        co2e_gwp_set="AR5",
    ),
    SampleFactor(
        "EF-STEEL-EAF",
        "Steel, scrap-based EAF route",
        "kg",
        f"commonly quoted, illustrative (approx.); {_NOT_STATED}",
        2021,
        co2e_kg=0.7,
        co2e_gwp_set="AR5",
    ),
    SampleFactor(
        "EF-ALU-PRIMARY",
        "Primary aluminium",
        "t",
        f"International Aluminium Institute; {_NOT_STATED}",
        2022,
        co2e_kg=15100.0,
        co2e_gwp_set="AR5",
    ),
    SampleFactor(
        "EF-PET",
        "PET granulate",
        "t",
        f"PlasticsEurope 2008 as quoted by Hopewell et al. 2009; {_NOT_STATED}",
        2008,
        co2e_kg=3400.0,
        co2e_gwp_set="AR5",
    ),
    SampleFactor(
        "EF-HDPE",
        "HDPE granulate",
        "t",
        f"PlasticsEurope 2008 as quoted by Hopewell et al. 2009; {_NOT_STATED}",
        2008,
        co2e_kg=1900.0,
        co2e_gwp_set="AR5",
    ),
    SampleFactor(
        "EF-PP",
        "PP granulate",
        "t",
        f"PlasticsEurope 2008 as quoted by Hopewell et al. 2009; {_NOT_STATED}",
        2008,
        co2e_kg=2000.0,
        co2e_gwp_set="AR5",
    ),
    SampleFactor(
        "EF-ABS",
        "ABS granulate",
        "kg",
        "commonly quoted 3.1 to 3.8, midpoint, illustrative (approx.); AR6 assumed",
        2020,
        co2e_kg=3.45,
        co2e_gwp_set="AR6",
    ),
    SampleFactor(
        "EF-CORRUGATED",
        "Corrugated board",
        "t",
        f"FEFCO 2021 (2020 data); {_NOT_STATED}",
        2020,
        co2e_kg=491.0,
        co2e_gwp_set="AR5",
    ),
    SampleFactor(
        "EF-NG-COMBUSTION",
        "Natural gas, stationary combustion (per kWh HHV)",
        "kWh",
        "US EPA GHG Emission Factors Hub 2024 (53.06 kg CO2, 1.0 g CH4, 0.10 g N2O per "
        "MMBtu HHV), converted per kWh",
        2024,
        co2_kg=NATURAL_GAS_CO2_KG_PER_KWH,
        ch4_kg=NATURAL_GAS_CH4_KG_PER_KWH,
        n2o_kg=NATURAL_GAS_N2O_KG_PER_KWH,
        energy_basis="gross",
    ),
)

GAS_FACTOR_ID = "EF-NG-COMBUSTION"

# -- materials and purchased parts -------------------------------------------------------


@dataclass(frozen=True)
class SampleMaterial:
    item_id: str
    name: str
    declared_unit: str
    factor_id: str


MATERIALS: dict[str, SampleMaterial] = {
    m.item_id: m
    for m in (
        SampleMaterial("MAT-STEEL-SHEET", "Steel sheet, hot-rolled", "kg", "EF-STEEL-AVG"),
        SampleMaterial("MAT-STEEL-BAR", "Steel bar, EAF route", "kg", "EF-STEEL-EAF"),
        SampleMaterial("MAT-STEEL-WIRE", "Welding wire G3Si1", "kg", "EF-STEEL-BOF"),
        SampleMaterial("MAT-ALU", "Aluminium billet, primary", "kg", "EF-ALU-PRIMARY"),
        SampleMaterial("MAT-ABS", "ABS granulate", "kg", "EF-ABS"),
        SampleMaterial("MAT-PP", "PP granulate, glass-filled", "kg", "EF-PP"),
        SampleMaterial("MAT-PET", "PET strapping band", "kg", "EF-PET"),
        SampleMaterial("MAT-HDPE", "HDPE stretch film", "kg", "EF-HDPE"),
        SampleMaterial("MAT-CORRUGATED", "Corrugated board", "t", "EF-CORRUGATED"),
    )
}


@dataclass(frozen=True)
class SamplePurchasedPart:
    """A bought part: with a supplier footprint (primary data) or a mapped factor."""

    item_id: str
    name: str
    declared_unit: str
    mass_per_piece_kg: float
    supplier: str | None = None
    supplier_co2e_kg: float | None = None  # per supplier_per_unit
    supplier_per_unit: str = "piece"
    primary_data_share: float = 0.0
    factor_id: str | None = None


# Supplier names and footprints are invented for the sample (illustrative).
PURCHASED_PARTS: dict[str, SamplePurchasedPart] = {
    p.item_id: p
    for p in (
        SamplePurchasedPart(
            "PP-MOTOR-075",
            "Electric motor 0.75 kW IE3",
            "piece",
            9.5,
            "Nordmotor Sample GmbH",
            38.0,
            "piece",
            0.62,
        ),
        SamplePurchasedPart(
            "PP-MOTOR-220",
            "Electric motor 2.2 kW IE3",
            "piece",
            17.8,
            "Nordmotor Sample GmbH",
            71.0,
            "piece",
            0.55,
        ),
        SamplePurchasedPart(
            "PP-CASTING",
            "Grey-iron volute casting",
            "piece",
            4.2,
            "Example Foundry Ltd",
            1.55,
            "kg",
            0.8,
        ),
        SamplePurchasedPart(
            "PP-SEAL",
            "Mechanical seal 16 mm",
            "piece",
            0.08,
            "Sealworks Sample Inc",
            0.9,
            "piece",
            0.3,
        ),
        SamplePurchasedPart(
            "PP-PCB",
            "Pump control PCB",
            "piece",
            0.15,
            "Example Electronics Co",
            4.8,
            "piece",
            0.25,
        ),
        SamplePurchasedPart(
            "PP-BEARING", "Ball bearing 6204-2Z", "piece", 0.11, factor_id="EF-STEEL-BOF"
        ),
        SamplePurchasedPart(
            "PP-BOLT-M8", "Hex bolt M8x25, zinc-plated", "kg", 0.0139, factor_id="EF-STEEL-BOF"
        ),
        SamplePurchasedPart("PP-GLAND", "Cable gland M20, ABS", "piece", 0.012, factor_id="EF-ABS"),
    )
}

# -- electricity ------------------------------------------------------------------------

TECHNOLOGY_SOURCE = "IPCC AR5 WG3 Annex III, Table A.III.2 (lifecycle medians)"
TECHNOLOGY_YEAR = 2014

# technology -> (g CO2e per kWh = kg per MWh, source, year)
TECHNOLOGIES: dict[str, tuple[float, str, int]] = {
    "coal": (820.0, TECHNOLOGY_SOURCE, TECHNOLOGY_YEAR),
    "natural_gas": (490.0, TECHNOLOGY_SOURCE, TECHNOLOGY_YEAR),
    "biomass_cofiring": (740.0, TECHNOLOGY_SOURCE, TECHNOLOGY_YEAR),
    "biomass": (230.0, TECHNOLOGY_SOURCE, TECHNOLOGY_YEAR),
    "geothermal": (38.0, TECHNOLOGY_SOURCE, TECHNOLOGY_YEAR),
    "hydro": (24.0, TECHNOLOGY_SOURCE, TECHNOLOGY_YEAR),
    "nuclear": (12.0, TECHNOLOGY_SOURCE, TECHNOLOGY_YEAR),
    "solar_csp": (27.0, TECHNOLOGY_SOURCE, TECHNOLOGY_YEAR),
    "solar_pv_rooftop": (41.0, TECHNOLOGY_SOURCE, TECHNOLOGY_YEAR),
    "solar_pv_utility": (48.0, TECHNOLOGY_SOURCE, TECHNOLOGY_YEAR),
    "wind_onshore": (11.0, TECHNOLOGY_SOURCE, TECHNOLOGY_YEAR),
    "wind_offshore": (12.0, TECHNOLOGY_SOURCE, TECHNOLOGY_YEAR),
    "oil": (840.0, "IPCC SRREN (2011) Annex II", 2011),
}

GRID_MIX_SOURCE = "illustrative mix for sample data, not official statistics"
GRID_MIX_YEAR = 2025

# grid region -> technology -> share in per mille (integers, so each region sums to
# exactly 1000 and the written shares to 1).
GRID_MIXES_PER_MILLE: dict[str, dict[str, int]] = {
    "SAMPLE-DE": {
        "coal": 380,
        "natural_gas": 140,
        "wind_onshore": 220,
        "wind_offshore": 50,
        "solar_pv_utility": 60,
        "solar_pv_rooftop": 50,
        "biomass": 80,
        "hydro": 20,
    },
    "SAMPLE-US-MIDWEST": {
        "coal": 280,
        "natural_gas": 320,
        "nuclear": 160,
        "wind_onshore": 180,
        "solar_pv_utility": 20,
        "hydro": 10,
        "oil": 10,
        "biomass": 20,
    },
}

# -- sites ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Shift:
    """A shift on some weekdays (0 = Monday), local wall-clock minutes of the day."""

    name: str
    weekdays: tuple[int, ...]
    start_minute: int
    end_minute: int  # exclusive, at most 1440
    break_after_minutes: int | None = 240  # a 30-minute break this long into the shift
    break_minutes: int = 30


@dataclass(frozen=True)
class SiteProfile:
    site_id: str
    code: str  # prefix of machine and meter ids
    name: str
    time_zone: str
    grid_region: str
    electricity_method: str
    contract_factor_kg_per_kwh: float | None
    contract_covered_share: float | None
    residual_mix_factor_kg_per_kwh: float | None
    gas_calorific_value_mj_per_m3: float
    overhead_allocation_key: str
    shifts: tuple[Shift, ...]
    holidays: tuple[tuple[int, int], ...]  # (month, day), no production
    heating_kw_per_machine: float  # space heating output in working hours (January)
    heating_gas_unit: str  # unit of the site heating gas meter


_WEEKDAYS = (0, 1, 2, 3, 4)

SITE_PROFILES: tuple[SiteProfile, ...] = (
    SiteProfile(
        site_id="S-BER",
        code="BER",
        name="Pump plant Berlin",
        time_zone="Europe/Berlin",
        grid_region="SAMPLE-DE",
        electricity_method="location",
        contract_factor_kg_per_kwh=None,
        contract_covered_share=None,
        residual_mix_factor_kg_per_kwh=None,
        # H-gas, gross: about 11.2 kWh per m3 (illustrative).
        gas_calorific_value_mj_per_m3=40.3,
        overhead_allocation_key="units",
        shifts=(
            Shift("early", _WEEKDAYS, 6 * 60, 14 * 60),
            Shift("late", _WEEKDAYS, 14 * 60, 22 * 60),
            Shift("saturday", (5,), 6 * 60, 12 * 60, break_after_minutes=180, break_minutes=15),
        ),
        holidays=((1, 1), (5, 1), (10, 3), (12, 25), (12, 26)),
        heating_kw_per_machine=18.0,
        heating_gas_unit="m3",
    ),
    SiteProfile(
        site_id="S-CHI",
        code="CHI",
        name="Pump plant Chicago",
        time_zone="America/Chicago",
        grid_region="SAMPLE-US-MIDWEST",
        electricity_method="market",
        # A wind supply contract for half the consumption; residual mix illustrative.
        contract_factor_kg_per_kwh=0.011,
        contract_covered_share=0.5,
        residual_mix_factor_kg_per_kwh=0.62,
        gas_calorific_value_mj_per_m3=EPA_NATURAL_GAS_HHV_MJ_PER_M3,
        overhead_allocation_key="mass",
        shifts=(
            Shift("first", _WEEKDAYS, 7 * 60, 15 * 60 + 30),
            Shift("second", _WEEKDAYS, 15 * 60 + 30, 24 * 60),
        ),
        holidays=((1, 1), (7, 4), (12, 25)),
        heating_kw_per_machine=25.0,
        heating_gas_unit="ft3",
    ),
)

# -- catalogues of in-house items and machines --------------------------------------------

PRODUCT_CPC_CODE = "43220"  # UN CPC: pumps for liquids; liquid elevators

PRODUCT_NAMES: tuple[str, ...] = (
    "Circulation pump CP 25-40",
    "Circulation pump CP 32-60",
    "Booster pump BP 3-6",
    "Booster pump BP 5-9",
    "Drainage pump DP 400",
    "Drainage pump DP 750",
    "Inline pump IL 50-125",
    "Inline pump IL 65-160",
    "End-suction pump ES 40-200",
    "End-suction pump ES 65-250",
    "Dosing pump MD 12",
    "Dosing pump MD 30",
)


@dataclass(frozen=True)
class ProcessProfile:
    """A machine process: its loads and, for component processes, the parts it makes."""

    process: str
    machine_name: str  # numbered per site: "Laser cutter 1"
    running_kw: float  # electric load while producing
    idle_kw: float  # base load around the clock (controls, heaters, chillers)
    gas_running_kw: float = 0.0  # burner output of an oven while a shift runs
    allocation_key: str = "units"
    # (part name, material item id) for component processes; names for the others
    parts: tuple[tuple[str, str], ...] = ()
    material_kg: tuple[float, float] = (0.0, 0.0)  # range of net material per part
    scrap_rate: tuple[float, float] = (0.0, 0.0)  # range of material scrap rate


COMPONENT_PROCESSES: dict[str, ProcessProfile] = {
    p.process: p
    for p in (
        ProcessProfile(
            "cutting",
            "Laser cutter",
            45.0,
            6.0,
            parts=(
                ("Laser-cut base plate", "MAT-STEEL-SHEET"),
                ("Laser-cut bracket", "MAT-STEEL-SHEET"),
                ("Laser-cut cover plate", "MAT-STEEL-SHEET"),
                ("Laser-cut stool plate", "MAT-STEEL-SHEET"),
                ("Laser-cut guard plate", "MAT-STEEL-SHEET"),
            ),
            material_kg=(0.4, 3.5),
            scrap_rate=(0.08, 0.2),
        ),
        ProcessProfile(
            "machining",
            "Machining centre",
            18.0,
            3.0,
            parts=(
                ("Machined pump shaft", "MAT-STEEL-BAR"),
                ("Machined motor flange", "MAT-ALU"),
                ("Machined coupling", "MAT-STEEL-BAR"),
                ("Machined bearing bracket", "MAT-ALU"),
                ("Machined adapter flange", "MAT-ALU"),
            ),
            material_kg=(0.3, 1.8),
            scrap_rate=(0.15, 0.35),
        ),
        ProcessProfile(
            "moulding",
            "Injection moulding machine",
            35.0,
            8.0,
            allocation_key="mass",
            parts=(
                ("Moulded impeller", "MAT-PP"),
                ("Moulded terminal box cover", "MAT-ABS"),
                ("Moulded fan cowl", "MAT-PP"),
                ("Moulded diffuser", "MAT-PP"),
                ("Moulded control housing", "MAT-ABS"),
            ),
            material_kg=(0.05, 0.6),
            scrap_rate=(0.01, 0.04),
        ),
    )
}

SUBASSEMBLY_PROCESSES: dict[str, ProcessProfile] = {
    p.process: p
    for p in (
        ProcessProfile(
            "painting",
            "Paint line",
            55.0,
            6.0,
            gas_running_kw=250.0,
            parts=(
                ("Painted pump housing", ""),
                ("Painted base frame", ""),
                ("Painted volute assembly", ""),
                ("Painted motor stool", ""),
            ),
        ),
        ProcessProfile(
            "welding",
            "Welding cell",
            22.0,
            2.5,
            parts=(
                ("Welded base frame", ""),
                ("Welded motor stool", ""),
                ("Welded guard", ""),
                ("Welded pump bracket", ""),
            ),
        ),
        ProcessProfile(
            "assembly",
            "Assembly cell",
            12.0,
            2.0,
            parts=(
                ("Motor unit", ""),
                ("Impeller unit", ""),
                ("Terminal box", ""),
                ("Bearing unit", ""),
                ("Control unit", ""),
            ),
        ),
    )
}

FINAL_ASSEMBLY = ProcessProfile(
    "assembly", "Final assembly and test line", 20.0, 3.0, allocation_key="time"
)

# Which component processes each sub-assembly process prefers to consume.
PREFERRED_COMPONENTS: dict[str, tuple[str, ...]] = {
    "painting": ("cutting", "machining"),
    "welding": ("cutting",),
    "assembly": ("machining", "moulding"),
}

# Sub-assembly machines cycle through these processes (a second paint line from four).
SUBASSEMBLY_CYCLE: tuple[str, ...] = ("painting", "welding", "assembly", "painting", "assembly")
COMPONENT_CYCLE: tuple[str, ...] = ("cutting", "machining", "moulding")

# What each sub-assembly buys, by its name: (alternative part ids, pieces per unit).
# Painted and welded parts also take bolts (and welded ones welding wire).
SUBASSEMBLY_PURCHASES: dict[str, tuple[tuple[tuple[str, ...], float], ...]] = {
    "Painted pump housing": ((("PP-CASTING",), 1.0),),
    "Painted volute assembly": ((("PP-CASTING",), 1.0),),
    "Motor unit": ((("PP-MOTOR-075", "PP-MOTOR-220"), 1.0), (("PP-BEARING",), 2.0)),
    "Impeller unit": ((("PP-SEAL",), 1.0), (("PP-BEARING",), 1.0)),
    "Terminal box": ((("PP-PCB",), 1.0), (("PP-GLAND",), 2.0)),
    "Bearing unit": ((("PP-BEARING",), 2.0),),
    "Control unit": ((("PP-PCB",), 1.0), (("PP-GLAND",), 1.0)),
}
BOLTED_PROCESSES: tuple[str, ...] = ("painting", "welding")
WELDING_WIRE_G: tuple[int, int] = (40, 150)

# Every product: bolts and cable glands (pieces, ranges inclusive), then its packaging
# (material, kg range, scrap rate).
PRODUCT_PURCHASES: tuple[tuple[str, int, int], ...] = (("PP-BOLT-M8", 4, 12), ("PP-GLAND", 1, 2))
PACKAGING: tuple[tuple[str, float, float, float], ...] = (
    ("MAT-CORRUGATED", 0.4, 1.6, 0.02),
    ("MAT-HDPE", 0.02, 0.06, 0.0),
    ("MAT-PET", 0.01, 0.03, 0.0),
)
