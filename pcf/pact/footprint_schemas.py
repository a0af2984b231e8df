"""The PACT ProductFootprint JSON schemas the supplier import validates against.

The closure of ``#/components/schemas/ProductFootprint`` of the PACT OpenAPI files (v3.0.3
and v2.3.3), with the validation keywords only (descriptions, examples and ``x-``
annotations dropped). Generated from ``tests/data/pact/<version>/openapi.yaml``; a test
(``tests/unit/pact/test_supplier_schemas.py``) regenerates it from there and compares.
The package cannot read YAML at run time (PyYAML is not one of its dependencies), hence
a Python module.
"""

from __future__ import annotations

from typing import Any

# OpenAPI version of the file each was taken from
OPENAPI_VERSIONS = {"3": "3.0.3", "2": "2.3.3"}

# major spec version -> component schema name -> schema
COMPONENT_SCHEMAS: dict[str, dict[str, Any]] = {
    "3": {
        "CarbonFootprint": {
            "type": "object",
            "required": [
                "declaredUnitOfMeasurement",
                "declaredUnitAmount",
                "productMassPerDeclaredUnit",
                "referencePeriodStart",
                "referencePeriodEnd",
                "pcfExcludingBiogenicUptake",
                "pcfIncludingBiogenicUptake",
                "fossilGhgEmissions",
                "fossilCarbonContent",
                "ipccCharacterizationFactors",
                "crossSectoralStandards",
                "exemptedEmissionsPercent",
            ],
            "oneOf": [
                {
                    "oneOf": [
                        {"required": ["geographyRegionOrSubregion"]},
                        {"required": ["geographyCountry"]},
                        {"required": ["geographyCountrySubdivision"]},
                    ]
                },
                {
                    "not": {
                        "anyOf": [
                            {"required": ["geographyRegionOrSubregion"]},
                            {"required": ["geographyCountry"]},
                            {"required": ["geographyCountrySubdivision"]},
                        ]
                    }
                },
            ],
            "properties": {
                "declaredUnitOfMeasurement": {
                    "type": "string",
                    "enum": [
                        "liter",
                        "kilogram",
                        "cubic meter",
                        "kilowatt hour",
                        "megajoule",
                        "ton kilometer",
                        "square meter",
                        "piece",
                        "hour",
                        "megabit second",
                    ],
                },
                "declaredUnitAmount": {"$ref": "#/components/schemas/PositiveNonZeroDecimal"},
                "productMassPerDeclaredUnit": {"$ref": "#/components/schemas/Decimal"},
                "referencePeriodStart": {"type": "string", "format": "date-time"},
                "referencePeriodEnd": {"type": "string", "format": "date-time"},
                "geographyRegionOrSubregion": {
                    "type": "string",
                    "enum": [
                        "Africa",
                        "Americas",
                        "Asia",
                        "Europe",
                        "Oceania",
                        "Australia and New Zealand",
                        "Central Asia",
                        "Eastern Asia",
                        "Eastern Europe",
                        "Latin America and the Caribbean",
                        "Melanesia",
                        "Micronesia",
                        "Northern Africa",
                        "Northern America",
                        "Northern Europe",
                        "Polynesia",
                        "South-eastern Asia",
                        "Southern Asia",
                        "Southern Europe",
                        "Sub-Saharan Africa",
                        "Western Asia",
                        "Western Europe",
                    ],
                },
                "geographyCountry": {"type": "string", "pattern": "^[A-Z]{2}$"},
                "geographyCountrySubdivision": {
                    "type": "string",
                    "pattern": "^[A-Z]{2}-[A-Z0-9]{1,3}$",
                },
                "boundaryProcessesDescription": {"type": "string"},
                "pcfExcludingBiogenicUptake": {"$ref": "#/components/schemas/Decimal"},
                "pcfIncludingBiogenicUptake": {"$ref": "#/components/schemas/Decimal"},
                "fossilCarbonContent": {"$ref": "#/components/schemas/PositiveOrZeroDecimal"},
                "biogenicCarbonContent": {"$ref": "#/components/schemas/PositiveOrZeroDecimal"},
                "recycledCarbonContent": {"$ref": "#/components/schemas/PositiveOrZeroDecimal"},
                "fossilGhgEmissions": {"$ref": "#/components/schemas/PositiveOrZeroDecimal"},
                "landUseChangeGhgEmissions": {"$ref": "#/components/schemas/PositiveOrZeroDecimal"},
                "landCarbonLeakage": {"$ref": "#/components/schemas/PositiveOrZeroDecimal"},
                "landManagementFossilGhgEmissions": {
                    "$ref": "#/components/schemas/PositiveOrZeroDecimal"
                },
                "landManagementBiogenicCO2Emissions": {
                    "$ref": "#/components/schemas/PositiveOrZeroDecimal"
                },
                "landManagementBiogenicCO2Removals": {
                    "$ref": "#/components/schemas/NegativeOrZeroDecimal"
                },
                "biogenicCO2Uptake": {"$ref": "#/components/schemas/NegativeOrZeroDecimal"},
                "biogenicNonCO2Emissions": {"$ref": "#/components/schemas/PositiveOrZeroDecimal"},
                "landAreaOccupation": {"$ref": "#/components/schemas/PositiveOrZeroDecimal"},
                "aircraftGhgEmissions": {"$ref": "#/components/schemas/PositiveOrZeroDecimal"},
                "packagingEmissionsIncluded": {"type": "boolean"},
                "packagingGhgEmissions": {"$ref": "#/components/schemas/PositiveOrZeroDecimal"},
                "packagingBiogenicCarbonContent": {
                    "$ref": "#/components/schemas/PositiveOrZeroDecimal"
                },
                "outboundLogisticsGhgEmissions": {
                    "$ref": "#/components/schemas/PositiveOrZeroDecimal"
                },
                "ccsTechnologicalCO2CaptureIncluded": {"type": "boolean"},
                "ccsTechnologicalCO2Capture": {
                    "$ref": "#/components/schemas/NegativeOrZeroDecimal"
                },
                "technologicalCO2CaptureOrigin": {"type": "string"},
                "technologicalCO2Removals": {"$ref": "#/components/schemas/NegativeOrZeroDecimal"},
                "ccuCarbonContent": {"$ref": "#/components/schemas/PositiveOrZeroDecimal"},
                "ccuCalculationApproach": {"type": "string", "enum": ["Cut-off", "Credit"]},
                "ccuCreditCertification": {"$ref": "#/components/schemas/Uri"},
                "ipccCharacterizationFactors": {
                    "type": "array",
                    "items": {"type": "string", "pattern": "^AR\\d+$"},
                    "minItems": 1,
                    "uniqueItems": True,
                },
                "crossSectoralStandards": {
                    "type": "array",
                    "items": {"type": "string"},
                    "minItems": 1,
                    "uniqueItems": True,
                },
                "productOrSectorSpecificRules": {
                    "type": "array",
                    "items": {"$ref": "#/components/schemas/ProductOrSectorSpecificRule"},
                    "minItems": 1,
                    "uniqueItems": True,
                },
                "exemptedEmissionsPercent": {"$ref": "#/components/schemas/Decimal"},
                "exemptedEmissionsDescription": {"type": "string"},
                "allocationRulesDescription": {"type": "string"},
                "secondaryEmissionFactorSources": {
                    "type": "array",
                    "minItems": 1,
                    "items": {"$ref": "#/components/schemas/EmissionFactorSource"},
                },
                "primaryDataShare": {"$ref": "#/components/schemas/Decimal"},
                "dqi": {"$ref": "#/components/schemas/DataQualityIndicators"},
                "verification": {"$ref": "#/components/schemas/Verification"},
            },
        },
        "DataModelExtension": {
            "type": "object",
            "required": ["specVersion", "dataSchema", "data"],
            "properties": {
                "specVersion": {"type": "string"},
                "dataSchema": {"type": "string", "format": "uri"},
                "documentation": {"type": "string", "format": "uri"},
                "data": {"type": "object"},
            },
        },
        "DataQualityIndicators": {
            "type": "object",
            "required": ["technologicalDQR", "geographicalDQR", "temporalDQR"],
            "properties": {
                "technologicalDQR": {"$ref": "#/components/schemas/Decimal"},
                "geographicalDQR": {"$ref": "#/components/schemas/Decimal"},
                "temporalDQR": {"$ref": "#/components/schemas/Decimal"},
            },
        },
        "Decimal": {"type": "string", "format": "decimal", "pattern": "^[+-]?\\d+(\\.\\d+)?$"},
        "EmissionFactorSource": {
            "type": "object",
            "required": ["name", "version"],
            "properties": {
                "name": {"$ref": "#/components/schemas/NonEmptyString"},
                "version": {"$ref": "#/components/schemas/NonEmptyString"},
            },
        },
        "NegativeOrZeroDecimal": {
            "type": "string",
            "format": "decimal",
            "pattern": "^(-\\d+(\\.\\d+)?)|0+(\\.0+)?$",
        },
        "NonEmptyString": {"type": "string", "minLength": 1},
        "PositiveNonZeroDecimal": {
            "type": "string",
            "format": "decimal",
            "pattern": "^[+]?(\\d*[1-9]\\d*)(\\.\\d+)?|(0+\\.\\d*[1-9]\\d*)$",
        },
        "PositiveOrZeroDecimal": {
            "type": "string",
            "format": "decimal",
            "pattern": "^[+]?\\d+(\\.\\d+)?$",
        },
        "ProductFootprint": {
            "type": "object",
            "required": [
                "id",
                "specVersion",
                "created",
                "status",
                "companyName",
                "companyIds",
                "productDescription",
                "productIds",
                "productNameCompany",
                "pcf",
            ],
            "properties": {
                "id": {"type": "string", "format": "uuid"},
                "specVersion": {"type": "string", "pattern": "^\\d+\\.\\d+\\.\\d+(-\\d{8})?$"},
                "precedingPfIds": {
                    "type": "array",
                    "items": {"type": "string", "format": "uuid"},
                    "minItems": 1,
                    "uniqueItems": True,
                },
                "created": {"type": "string", "format": "date-time"},
                "status": {"type": "string", "enum": ["Active", "Deprecated"]},
                "validityPeriodStart": {"type": "string", "format": "date-time"},
                "validityPeriodEnd": {"type": "string", "format": "date-time"},
                "companyName": {"$ref": "#/components/schemas/NonEmptyString"},
                "companyIds": {
                    "type": "array",
                    "minItems": 1,
                    "uniqueItems": True,
                    "items": {"$ref": "#/components/schemas/Urn"},
                },
                "productDescription": {"type": "string"},
                "productIds": {
                    "type": "array",
                    "minItems": 1,
                    "uniqueItems": True,
                    "items": {"$ref": "#/components/schemas/Urn"},
                },
                "productClassifications": {
                    "type": "array",
                    "minItems": 1,
                    "uniqueItems": True,
                    "items": {"$ref": "#/components/schemas/Urn"},
                },
                "productNameCompany": {"$ref": "#/components/schemas/NonEmptyString"},
                "comment": {"type": "string"},
                "pcf": {"$ref": "#/components/schemas/CarbonFootprint"},
                "extensions": {
                    "type": "array",
                    "items": {"$ref": "#/components/schemas/DataModelExtension"},
                },
            },
        },
        "ProductOrSectorSpecificRule": {
            "type": "object",
            "required": ["operator", "ruleNames"],
            "properties": {
                "operator": {"type": "string", "enum": ["PEF", "EPD International", "Other"]},
                "ruleNames": {
                    "type": "array",
                    "items": {"type": "string", "minLength": 1},
                    "minItems": 1,
                    "uniqueItems": True,
                },
                "otherOperatorName": {"type": "string", "minLength": 1},
            },
        },
        "Uri": {"type": "string", "format": "uri"},
        "Urn": {"type": "string", "format": "urn", "pattern": "^([uU][rR][nN]):"},
        "Verification": {
            "type": "object",
            "properties": {
                "coverage": {
                    "type": "string",
                    "enum": ["PCF calculation model", "PCF program", "product level"],
                },
                "providerName": {"type": "string"},
                "completedAt": {"type": "string", "format": "date-time"},
                "standardName": {"type": "string"},
                "comments": {"type": "string"},
            },
        },
    },
    "2": {
        "Assurance": {
            "type": "object",
            "required": ["assurance", "providerName"],
            "properties": {
                "assurance": {"type": "boolean"},
                "coverage": {
                    "type": "string",
                    "enum": ["corporate level", "product line", "PCF system", "product level"],
                },
                "level": {"type": "string", "enum": ["limited", "reasonable"]},
                "boundary": {"type": "string", "enum": ["Gate-to-Gate", "Cradle-to-Gate"]},
                "providerName": {"type": "string"},
                "completedAt": {"type": "string", "format": "date-time"},
                "standardName": {"type": "string"},
                "comments": {"type": "string"},
            },
        },
        "CarbonFootprint": {
            "type": "object",
            "required": [
                "declaredUnit",
                "unitaryProductAmount",
                "referencePeriodStart",
                "referencePeriodEnd",
                "pCfExcludingBiogenic",
                "fossilGhgEmissions",
                "fossilCarbonContent",
                "biogenicCarbonContent",
                "characterizationFactors",
                "ipccCharacterizationFactorsSources",
                "crossSectoralStandardsUsed",
                "boundaryProcessesDescription",
                "exemptedEmissionsPercent",
                "exemptedEmissionsDescription",
                "packagingEmissionsIncluded",
            ],
            "oneOf": [
                {
                    "oneOf": [
                        {"required": ["geographyRegionOrSubregion"]},
                        {"required": ["geographyCountry"]},
                        {"required": ["geographyCountrySubdivision"]},
                    ]
                },
                {
                    "not": {
                        "anyOf": [
                            {"required": ["geographyRegionOrSubregion"]},
                            {"required": ["geographyCountry"]},
                            {"required": ["geographyCountrySubdivision"]},
                        ]
                    }
                },
            ],
            "properties": {
                "declaredUnit": {
                    "type": "string",
                    "enum": [
                        "liter",
                        "kilogram",
                        "cubic meter",
                        "kilowatt hour",
                        "megajoule",
                        "ton kilometer",
                        "square meter",
                    ],
                },
                "unitaryProductAmount": {"type": "string", "format": "decimal"},
                "productMassPerDeclaredUnit": {"type": "string", "format": "decimal"},
                "pCfExcludingBiogenic": {"type": "string", "format": "decimal"},
                "pCfIncludingBiogenic": {"type": "string", "format": "decimal"},
                "fossilGhgEmissions": {"type": "string", "format": "decimal"},
                "fossilCarbonContent": {"type": "string", "format": "decimal"},
                "biogenicCarbonContent": {"type": "string", "format": "decimal"},
                "dLucGhgEmissions": {"type": "string", "format": "decimal"},
                "landManagementGhgEmissions": {"type": "string", "format": "decimal"},
                "otherBiogenicGhgEmissions": {"type": "string", "format": "decimal"},
                "iLucGhgEmissions": {"type": "string", "format": "decimal"},
                "biogenicCarbonWithdrawal": {"type": "string", "format": "decimal"},
                "aircraftGhgEmissions": {"type": "string", "format": "decimal"},
                "packagingEmissionsIncluded": {"type": "boolean"},
                "packagingGhgEmissions": {"type": "string", "format": "decimal"},
                "characterizationFactors": {"type": "string", "enum": ["AR6", "AR5"]},
                "ipccCharacterizationFactorsSources": {
                    "type": "array",
                    "items": {"type": "string", "pattern": "^AR\\d+$"},
                    "minItems": 1,
                    "uniqueItems": True,
                },
                "crossSectoralStandardsUsed": {
                    "type": "array",
                    "items": {
                        "type": "string",
                        "enum": [
                            "GHG Protocol Product standard",
                            "ISO Standard 14067",
                            "ISO Standard 14044",
                        ],
                    },
                    "minItems": 1,
                    "uniqueItems": True,
                },
                "crossSectoralStandards": {
                    "type": "array",
                    "items": {
                        "type": "string",
                        "enum": [
                            "ISO14067",
                            "ISO14083",
                            "ISO14040-44",
                            "GHGP-Product",
                            "PEF",
                            "PACT-1.0",
                            "PACT-2.0",
                            "PACT-3.0",
                        ],
                    },
                    "minItems": 1,
                    "uniqueItems": True,
                },
                "productOrSectorSpecificRules": {
                    "type": "array",
                    "items": {"$ref": "#/components/schemas/ProductOrSectorSpecificRule"},
                    "minItems": 1,
                    "uniqueItems": True,
                },
                "biogenicAccountingMethodology": {
                    "type": "string",
                    "enum": ["PEF", "ISO", "GHGP", "Quantis"],
                },
                "boundaryProcessesDescription": {"type": "string"},
                "referencePeriodStart": {"type": "string", "format": "date-time"},
                "referencePeriodEnd": {"type": "string", "format": "date-time"},
                "geographyRegionOrSubregion": {
                    "type": "string",
                    "enum": [
                        "Africa",
                        "Americas",
                        "Asia",
                        "Europe",
                        "Oceania",
                        "Australia and New Zealand",
                        "Central Asia",
                        "Eastern Asia",
                        "Eastern Europe",
                        "Latin America and the Caribbean",
                        "Melanesia",
                        "Micronesia",
                        "Northern Africa",
                        "Northern America",
                        "Northern Europe",
                        "Polynesia",
                        "South-eastern Asia",
                        "Southern Asia",
                        "Southern Europe",
                        "Sub-Saharan Africa",
                        "Western Asia",
                        "Western Europe",
                    ],
                },
                "geographyCountry": {"type": "string", "pattern": "^[A-Z]{2}$"},
                "geographyCountrySubdivision": {
                    "type": "string",
                    "pattern": "^[A-Z]{2}-[A-Z0-9]{1,3}$",
                },
                "secondaryEmissionFactorSources": {
                    "type": "array",
                    "minItems": 1,
                    "items": {"$ref": "#/components/schemas/EmissionFactorDatabases"},
                },
                "exemptedEmissionsPercent": {
                    "type": "number",
                    "format": "double",
                    "minimum": 0,
                    "maximum": 100,
                },
                "exemptedEmissionsDescription": {"type": "string"},
                "allocationRulesDescription": {"type": "string"},
                "uncertaintyAssessmentDescription": {"type": "string"},
                "primaryDataShare": {
                    "type": "number",
                    "format": "double",
                    "minimum": 0,
                    "maximum": 100,
                },
                "dqi": {"$ref": "#/components/schemas/DataQualityIndicators"},
                "assurance": {"$ref": "#/components/schemas/Assurance"},
            },
        },
        "DataModelExtension": {
            "type": "object",
            "required": ["specVersion", "dataSchema", "data"],
            "properties": {
                "specVersion": {"type": "string"},
                "dataSchema": {"type": "string", "format": "uri"},
                "documentation": {"type": "string", "format": "uri"},
                "data": {"type": "object"},
            },
        },
        "DataQualityIndicators": {
            "type": "object",
            "required": [
                "coveragePercent",
                "technologicalDQR",
                "temporalDQR",
                "geographicalDQR",
                "completenessDQR",
                "reliabilityDQR",
            ],
            "properties": {
                "coveragePercent": {
                    "type": "number",
                    "format": "double",
                    "minimum": 0,
                    "maximum": 100,
                },
                "technologicalDQR": {"$ref": "#/components/schemas/FloatBetween1And3"},
                "temporalDQR": {"$ref": "#/components/schemas/FloatBetween1And3"},
                "geographicalDQR": {"$ref": "#/components/schemas/FloatBetween1And3"},
                "completenessDQR": {"$ref": "#/components/schemas/FloatBetween1And3"},
                "reliabilityDQR": {"$ref": "#/components/schemas/FloatBetween1And3"},
            },
        },
        "EmissionFactorDatabases": {
            "type": "object",
            "required": ["name", "version"],
            "properties": {
                "name": {"type": "string", "minLength": 1},
                "version": {"type": "string", "minLength": 1},
            },
        },
        "FloatBetween1And3": {"type": "number", "format": "float", "minimum": 1, "maximum": 3},
        "ProductFootprint": {
            "type": "object",
            "required": [
                "id",
                "specVersion",
                "version",
                "created",
                "status",
                "comment",
                "companyName",
                "companyIds",
                "productDescription",
                "productIds",
                "productCategoryCpc",
                "productNameCompany",
                "pcf",
            ],
            "properties": {
                "id": {"type": "string", "format": "uuid"},
                "specVersion": {"type": "string", "pattern": "^\\d+\\.\\d+\\.\\d+(-\\d{8})?$"},
                "precedingPfIds": {
                    "type": "array",
                    "items": {"type": "string", "format": "uuid"},
                    "minItems": 1,
                    "uniqueItems": True,
                },
                "version": {"type": "integer", "format": "int32", "minimum": 0},
                "created": {"type": "string", "format": "date-time"},
                "updated": {"type": "string", "format": "date-time"},
                "status": {"type": "string", "enum": ["Active", "Deprecated"]},
                "statusComment": {"type": "string"},
                "validityPeriodStart": {"type": "string", "format": "date-time"},
                "validityPeriodEnd": {"type": "string", "format": "date-time"},
                "companyName": {"type": "string", "minLength": 1},
                "companyIds": {
                    "type": "array",
                    "minItems": 1,
                    "uniqueItems": True,
                    "items": {"$ref": "#/components/schemas/Urn"},
                },
                "productDescription": {"type": "string"},
                "productIds": {
                    "type": "array",
                    "minItems": 1,
                    "uniqueItems": True,
                    "items": {"$ref": "#/components/schemas/Urn"},
                },
                "productClassifications": {
                    "type": "array",
                    "minItems": 1,
                    "uniqueItems": True,
                    "items": {"$ref": "#/components/schemas/Urn"},
                },
                "productCategoryCpc": {"type": "string", "minLength": 1},
                "productNameCompany": {"type": "string", "minLength": 1},
                "comment": {"type": "string"},
                "pcf": {"$ref": "#/components/schemas/CarbonFootprint"},
                "extensions": {
                    "type": "array",
                    "items": {"$ref": "#/components/schemas/DataModelExtension"},
                },
            },
        },
        "ProductOrSectorSpecificRule": {
            "type": "object",
            "required": ["operator", "ruleNames"],
            "properties": {
                "operator": {"type": "string", "enum": ["PEF", "EPD International", "Other"]},
                "ruleNames": {
                    "type": "array",
                    "items": {"type": "string", "minLength": 1},
                    "minItems": 1,
                    "uniqueItems": True,
                },
                "otherOperatorName": {"type": "string", "minLength": 1},
            },
        },
        "Urn": {"type": "string", "format": "urn", "pattern": "^([uU][rR][nN]):"},
    },
}
