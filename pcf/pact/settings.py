"""What the PACT API needs to know about the data owner and its partners, and how the
local server wires it: the company, the partners' client credentials, the sites'
countries, our credentials at partners' token endpoints for answering their requests."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import Engine

from pcf.api.auth import LocalTokens, local_authenticator
from pcf.pact.auth import PactClients
from pcf.pact.callbacks import CallbackCredentials, EventSender, credentials_from_environment
from pcf.pact.conversion import PactCompany
from pcf.pact.published import lifecycle_of, published_footprints
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
    # partner client id -> our client credentials at the partner's token endpoint
    callback_credentials: Mapping[str, CallbackCredentials] = field(default_factory=dict)
    callback_ca_file: Path | None = None  # a CA to trust for partners' endpoints
    callback_retry_delays: tuple[float, ...] = (1.0, 4.0, 16.0, 64.0)  # seconds

    @classmethod
    def from_environment(cls) -> PactSettings:
        """``PCF_PACT_COMPANY_NAME``, ``PCF_PACT_COMPANY_IDS`` (URNs, space-separated),
        ``PCF_PACT_PRODUCT_DOMAIN``, ``PCF_PACT_SITE_COUNTRIES`` ("S1:DE S2:FR"),
        ``PCF_PACT_CLIENTS``, ``PCF_PACT_CALLBACK_CREDENTIALS``
        ("partner=https://auth.partner.example/auth/token|id|secret") and
        ``PCF_PACT_CALLBACK_CA_FILE``; defaults for whatever is unset."""
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
        ca_file = os.environ.get("PCF_PACT_CALLBACK_CA_FILE")
        return cls(
            company,
            PactClients.from_environment(),
            countries,
            credentials_from_environment(),
            Path(ca_file) if ca_file else None,
        )


def local_pact_dependencies(
    engine: Engine, tokens: LocalTokens, settings: PactSettings
) -> PactDependencies:
    """The PACT API on the local server: published footprints from PostgreSQL, tokens
    issued and checked by the server itself, requests answered from a thread."""
    return PactDependencies(
        company=settings.company,
        published=lambda: published_footprints(engine, settings.site_countries),
        lifecycle_of=lifecycle_of(settings.company),
        authenticate=local_authenticator(tokens),
        clients=settings.clients,
        tokens=tokens,
        send_event=EventSender(
            settings.callback_credentials,
            settings.callback_ca_file,
            settings.callback_retry_delays,
        ).send,
    )
