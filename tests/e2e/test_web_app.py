"""The web app in headless Chromium against the real local server, on the worked example
(S1) and site S2, both calculated for January 2026 (tests/integration/footprints)."""

from __future__ import annotations

import pytest

from pcf.api.auth import LocalTokens, Role
from tests.e2e.conftest import WebApp
from tests.integration.footprints.conftest import TwoSites

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

P_S1 = "10.1208"  # METHOD.md: kg CO2e per piece of P at S1, four decimals as shown


def test_pages_load_with_charts_and_the_audit_trail(web_app: WebApp) -> None:
    # Given an auditor signed in with a token from the local server
    web_app.sign_in(Role.AUDITOR)

    # Then the overview lists product P with its latest footprint and draws the chart
    assert "P" in web_app.page.inner_text("#products")
    assert web_app.chart_points("overview-chart") == 4  # one product, four categories
    assert web_app.canvas_is_drawn("overview-chart")
    web_app.screenshot("overview")

    # When the auditor opens P
    web_app.page.click("#products a")
    web_app.wait_for_view("/products/P")

    # Then the breakdown and the trend are drawn, and the audit trail goes down to the
    # meter totals and the factor versions
    page = web_app.page
    assert page.inner_text("#total") == P_S1
    assert web_app.chart_points("breakdown-chart") == 4
    assert web_app.canvas_is_drawn("breakdown-chart")
    assert web_app.chart_points("trend-chart") == 1  # one period calculated
    assert "exactly" in page.inner_text("#reproduces")
    meters = page.inner_text("#meter-totals")
    assert "M1-E" in meters and "1000.0 kWh" in meters
    assert "emission_factors@1" in page.inner_text("#factor-versions")
    assert "technology_factors" in page.inner_text("#dataset-versions")
    web_app.screenshot("product")

    # And hotspots and benchmarks load, with their charts
    web_app.open("/hotspots?period=2026-01")
    assert page.inner_text("#hotspots tbody tr:first-child td:first-child") == "ALU"
    assert web_app.chart_points("hotspots-chart") == 6
    web_app.screenshot("hotspots")
    web_app.open("/benchmarks")
    m3 = page.locator("#machine-benchmarks tr", has_text="M3").inner_text()
    assert "1.25×" in m3  # M3 uses 1.25 times the kWh per A of M2, the best machining
    assert web_app.chart_points("machines-chart") == 6
    assert "S2" in page.inner_text("#site-benchmarks")
    web_app.screenshot("benchmarks")

    # And nothing was refused by the Content-Security-Policy or thrown
    assert web_app.console_errors == []


def test_an_upload_with_a_bad_row_shows_that_rows_error(web_app: WebApp) -> None:
    # Given an SME on the upload page
    web_app.sign_in(Role.SME)
    web_app.open("/upload")

    # When they upload technology factors whose third row has a negative factor
    web_app.page.select_option("#upload-kind", "technology_factors")
    web_app.page.set_input_files(
        "#upload-file",
        files=[
            {
                "name": "technology_factors.csv",
                "mimeType": "text/csv",
                "buffer": b"technology,co2e_kg,per_unit,source,year\n"
                b"coal,820,MWh,IPCC AR5,2014\n"
                b"wind,-11,MWh,IPCC AR5,2014\n",
            }
        ],
    )
    web_app.page.click("#upload button[type=submit]")
    web_app.page.wait_for_selector("#upload-errors")

    # Then the file is rejected and row 3's error is shown, column and value included
    assert "rejected" in web_app.page.inner_text("#upload-status")
    rows = web_app.page.locator("#upload-errors tbody tr")
    assert rows.count() == 1
    assert rows.nth(0).locator("td").all_inner_texts() == [
        "3",
        "co2e_kg",
        "-11",
        '"-11" must be >= 0',
    ]
    web_app.screenshot("upload-errors")
    assert web_app.console_errors == []


def test_a_what_if_changes_the_number(web_app: WebApp) -> None:
    # Given a reader on product P at S1 (readers see no audit trail)
    web_app.sign_in(Role.READER)
    web_app.open("/products/P?site=S1")
    assert "for auditors" in web_app.page.inner_text("#view")

    # When they recalculate with a grid factor of 0.1 kg CO2e/kWh
    web_app.page.fill("#what-if-grid", "0.1")
    web_app.page.click("#what-if button[type=submit]")
    web_app.page.wait_for_selector("#what-if-total")

    # Then the number changes: 3.2 kWh per piece at 0.1 instead of 0.4783 (not stored)
    assert web_app.page.inner_text("#what-if-total") == "8.9102"
    assert web_app.page.inner_text("#what-if-difference") == "-1.2106"
    assert web_app.page.inner_text("#total") == P_S1
    web_app.screenshot("what-if")
    assert web_app.console_errors == []


def test_an_admin_closes_a_period(web_app: WebApp, two_sites: TwoSites) -> None:
    # Given an admin on the periods page, S1 January open
    web_app.sign_in(Role.ADMIN)
    web_app.open("/periods")
    button = web_app.page.locator('button.close-period[data-period="S1 2026-01"]')

    # When they close it
    button.click()
    web_app.page.wait_for_selector("#period-message .ok")

    # Then it is closed, and it can be reopened with a reason
    row = web_app.page.locator("#periods tr", has_text="S1")
    assert "closed" in row.inner_text()
    assert row.locator("button", has_text="Reopen").count() == 1
    web_app.screenshot("period-closed")
    assert web_app.console_errors == []


def test_a_token_the_server_did_not_issue_brings_back_the_sign_in(web_app: WebApp) -> None:
    # Given a well-formed token signed with another secret
    foreign = LocalTokens(b"another server's secret").issue("mallory", [Role.ADMIN])

    # When it is pasted into the sign-in form
    web_app.page.goto(web_app.server.url + "/")
    web_app.page.fill("#token", foreign)
    web_app.page.click("#sign-in button[type=submit]")
    web_app.wait_for_view("/")

    # Then the API's refusal is shown above the sign-in form, and no data
    assert "not valid" in web_app.page.inner_text("#view [role=alert]")
    assert web_app.page.locator("#sign-in").count() == 1
    assert web_app.page.locator("#products").count() == 0
