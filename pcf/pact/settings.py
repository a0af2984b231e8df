"""What the PACT API needs to know about the data owner and its partners, and how the
local server wires it: the company, the partners' client credentials, the sites'
countries."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine

from pcf.api.auth import LocalTokens, local_authenticator
from pcf.pact.auth import PactClients
from pcf.pact.conversion import PactCompany
from pcf.pact.published import published_footprints
from pcf.pact.routes import PactDependencies

# Local defaults; a deployment names its own company (PCF_PACT_COMPANY_*).
DEFAULT_COMPANY = PactCompany(
    name="Sample Manufacturing",
    company_ids=("urn:pact:company:sample.example",),
    product_id_domain="sample.example",
)


@dataclass(frozen=True)
class PactSettings:
    company: PactCompany = DEFAULT_COMPANY
    clients: PactClients = field(default_factory=lambda: PactClients({}))
    site_countries: Mapping[str, str] = field(default_factory=dict)  # site -> ISO 3166-1

    @classmethod
    def from_environment(cls) -> PactSettings:
        """``PCF_PACT_COMPANY_NAME``, ``PCF_PACT_COMPANY_IDS`` (URNs, space-separated),
        ``PCF_PACT_PRODUCT_DOMAIN``, ``PCF_PACT_SITE_COUNTRIES`` ("S1:DE S2:FR") and
        ``PCF_PACT_CLIENTS``; defaults for whatever is unset."""
        company = PactCompany(
            name=os.environ.get("PCF_PACT_COMPANY_NAME", DEFAULT_COMPANY.name),
            company_ids=tuple(os.environ.get("PCF_PACT_COMPANY_IDS", "").split())
            or DEFAULT_COMPANY.company_ids,
            product_id_domain=os.environ.get(
                "PCF_PACT_PRODUCT_DOMAIN", DEFAULT_COMPANY.product_id_domain
            ),
        )
        countries = dict(
            pair.partition(":")[::2]
            for pair in os.environ.get("PCF_PACT_SITE_COUNTRIES", "").split()
            if ":" in pair
        )
        return cls(company, PactClients.from_environment(), countries)


def local_pact_dependencies(
    engine: Engine, tokens: LocalTokens, settings: PactSettings
) -> PactDependencies:
    """The PACT API on the local server: published footprints from PostgreSQL, tokens
    issued and checked by the server itself."""
    return PactDependencies(
        company=settings.company,
        published=lambda: published_footprints(engine, settings.site_countries),
        authenticate=local_authenticator(tokens),
        clients=settings.clients,
        tokens=tokens,
    )
