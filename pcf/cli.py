"""``pcf``: the command line. Thin: parse arguments, call a use case, report."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy import Engine

# The embedded PostgreSQL's data folder, relative to the working directory.
DEFAULT_DATA_DIR = Path("var/pgdata")


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["simulate"]:
        # the simulator has its own options (--help included): hand them over untouched
        from pcf.edge.simulator import main as simulator_main

        return simulator_main(args[1:])
    parser = _parser()
    arguments = parser.parse_args(args)
    handler = getattr(arguments, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    result: int = handler(arguments)
    return result


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pcf", description="Product carbon footprints from meters and bills of materials."
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=DEFAULT_DATA_DIR,
        help="embedded PostgreSQL data folder (ignored when DATABASE_URL is set)",
    )
    commands = parser.add_subparsers(metavar="COMMAND")

    db = commands.add_parser("db", help="database schema").add_subparsers(metavar="ACTION")
    db.add_parser("upgrade", help="apply pending migrations").set_defaults(handler=_db_upgrade)

    load = commands.add_parser("load", help="validate and load static files")
    load.add_argument("files", nargs="+", type=Path, help="KIND.csv files, e.g. bom.csv")
    load.add_argument("--valid-from", type=date.fromisoformat, help="first day (YYYY-MM-DD)")
    load.add_argument("--valid-to", type=date.fromisoformat, help="last day (YYYY-MM-DD)")
    load.set_defaults(handler=_load)

    calculate = commands.add_parser("calculate", help="compute a site's footprints")
    calculate.add_argument("--site", required=True)
    calculate.add_argument("--period", required=True, help="month, e.g. 2026-01")
    calculate.add_argument("--gwp", choices=["AR6", "AR5"], default="AR6")
    calculate.add_argument(
        "--gaps",
        choices=["leave", "fill_mean_rate"],
        default="leave",
        help="telemetry gaps: leave them (default) or fill from each meter's mean rate",
    )
    calculate.set_defaults(handler=_calculate)

    audit = commands.add_parser("audit", help="the audit trail").add_subparsers(metavar="ACTION")
    audit.add_parser("verify", help="check the hash chain").set_defaults(handler=_audit_verify)
    recompute = audit.add_parser("recompute", help="recompute a footprint from its record")
    recompute.add_argument("footprint_id", type=int)
    recompute.set_defaults(handler=_audit_recompute)

    formats = commands.add_parser("formats", help="file formats").add_subparsers(metavar="ACTION")
    formats.add_parser("doc", help="regenerate docs/formats.md").set_defaults(handler=_formats_doc)

    serve = commands.add_parser("serve", help="the upload API and object store on this machine")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080)
    serve.add_argument("--objects", type=Path, default=Path("var/objects"), help="object store")
    serve.add_argument(
        "--token",
        metavar="ROLE",
        choices=["admin", "sme", "reader", "auditor", "partner"],
        help="print a token with this role for the server and exit",
    )
    serve.add_argument("--subject", default="local-user", help="--token: who the token names")
    serve.set_defaults(handler=_serve)

    pact = commands.add_parser("pact", help="PACT exchange").add_subparsers(metavar="ACTION")
    pull = pact.add_parser(
        "pull", help="load supplier footprints from a supplier's PACT API (decision 0013)"
    )
    pull.add_argument("--url", required=True, help="the supplier's PACT API, https://...")
    pull.add_argument("--client-id", required=True, help="our client id at the supplier")
    pull.add_argument(
        "--client-secret-env",
        required=True,
        metavar="VAR",
        help="the environment variable holding our client secret (never the secret itself)",
    )
    pull.add_argument(
        "--product-id",
        action="append",
        default=[],
        metavar="URN",
        help="only footprints of this product (repeatable)",
    )
    pull.add_argument(
        "--footprint-id", action="append", default=[], metavar="ID", help="one footprint by id"
    )
    pull.add_argument("--api-version", choices=["3", "2"], default="3")
    pull.add_argument("--page-size", type=int, default=100)
    pull.add_argument(
        "--figure",
        choices=["excluding_biogenic_uptake", "including_biogenic_uptake"],
        default="excluding_biogenic_uptake",
        help="which PACT total becomes the supplier footprint",
    )
    pull.add_argument("--ca-file", type=Path, help="an extra CA to trust (a test server's)")
    pull.add_argument("--objects", type=Path, default=Path("var/objects"), help="object store")
    pull.add_argument("--valid-from", type=date.fromisoformat, help="first day (YYYY-MM-DD)")
    pull.add_argument("--valid-to", type=date.fromisoformat, help="last day (YYYY-MM-DD)")
    pull.set_defaults(handler=_pact_pull)

    # handled in main(): listed here for the help text
    commands.add_parser(
        "simulate", help="a Modbus TCP server playing a factory's meters (pcf simulate --help)"
    )

    demo = commands.add_parser("demo", help="the whole pipeline on a sample factory")
    demo.add_argument("--size", choices=["small", "default", "large"], default="default")
    demo.add_argument("--seed", type=int, default=None)
    demo.add_argument("--machines", type=int, default=None)
    demo.add_argument("--products", type=int, default=None)
    demo.add_argument("--days", type=int, default=None, help="days of telemetry")
    demo.add_argument("--out", type=Path, default=Path("out/demo"))
    demo.add_argument("--no-progress", action="store_true")
    demo.add_argument(
        "--live",
        action="store_true",
        help="simulated meters -> edge component -> ingest -> store -> footprints",
    )
    demo.add_argument("--minutes", type=float, default=60.0, help="live: simulated minutes")
    demo.add_argument("--speed", type=float, default=120.0, help="live: simulated s per s")
    demo.set_defaults(handler=_demo)
    return parser


def _engine(arguments: argparse.Namespace) -> Engine:
    from pcf.adapters.postgres.connection import create_engine, database_url
    from pcf.adapters.postgres.migrations import upgrade

    engine = create_engine(database_url(arguments.data_dir))
    upgrade(engine)
    return engine


def _db_upgrade(arguments: argparse.Namespace) -> int:
    from pcf.adapters.postgres.connection import create_engine, database_url
    from pcf.adapters.postgres.migrations import upgrade

    applied = upgrade(create_engine(database_url(arguments.data_dir)))
    print("\n".join(f"applied {name}" for name in applied) or "schema is up to date")
    return 0


def _load(arguments: argparse.Namespace) -> int:
    from pcf.formats.definitions import STATIC_FORMATS
    from pcf.usecases.load_datasets import DatasetRejected, load_static_files

    kinds = {f.kind for f in STATIC_FORMATS}
    files: dict[str, tuple[str, bytes]] = {}
    for path in arguments.files:
        kind = path.stem
        if kind not in kinds:
            print(f"{path.name}: the file name must be one of {sorted(kinds)} + .csv")
            return 2
        files[kind] = (path.name, path.read_bytes())
    try:
        versions = load_static_files(
            _engine(arguments),
            files,
            valid_from=arguments.valid_from,
            valid_to=arguments.valid_to,
        )
    except DatasetRejected as rejected:
        for error in rejected.errors:
            print(error, file=sys.stderr)
        print(f"rejected: {rejected}", file=sys.stderr)
        return 1
    for kind, version in versions.items():
        print(f"loaded {kind} version {version.version} ({version.row_count} rows)")
    return 0


def _calculate(arguments: argparse.Namespace) -> int:
    from pcf.adapters.postgres.telemetry_store import PostgresTelemetryStore
    from pcf.core.model import MethodSettings
    from pcf.formats.definitions import GwpSet, TelemetryGaps
    from pcf.usecases.calculate import calculate_site_period

    engine = _engine(arguments)
    result = calculate_site_period(
        engine,
        PostgresTelemetryStore(engine),
        arguments.site,
        arguments.period,
        MethodSettings(gwp_set=GwpSet(arguments.gwp), telemetry_gaps=TelemetryGaps(arguments.gaps)),
    )
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    for footprint in result.footprints:
        print(
            f"{footprint.item_id}\t{footprint.total_kg_co2e:.6f} kg CO2e/{footprint.declared_unit}"
            f"\tfootprint {result.footprint_ids[footprint.item_id]}"
        )
    print(f"run {result.run_id}: {len(result.footprints)} footprints")
    return 0


def _audit_verify(arguments: argparse.Namespace) -> int:
    from pcf.adapters.postgres.results import read_audit_chain
    from pcf.core.audit import ChainedRecord, verify_chain

    engine = _engine(arguments)
    count = 0

    def counted() -> Iterator[ChainedRecord]:
        nonlocal count
        for record in read_audit_chain(engine):
            count += 1
            yield record

    problems = verify_chain(counted())
    for problem in problems:
        print(f"audit record {problem.sequence}: {problem.reason}")
    print(f"{count} records checked, {len(problems)} problem(s)")
    return 1 if problems else 0


def _audit_recompute(arguments: argparse.Namespace) -> int:
    from pcf.usecases.footprints import FootprintNotFound, footprint_audit

    try:
        # the footprint's record with its run's site-inputs record (docs/decisions/0012)
        trail = footprint_audit(_engine(arguments), arguments.footprint_id)
    except FootprintNotFound:
        print(f"no audit record for footprint {arguments.footprint_id}", file=sys.stderr)
        return 2
    document, recomputed, differences = (
        trail.record,
        trail.recomputed,
        trail.differences_on_recompute,
    )
    recorded = document["result"]["total_kg_co2e"]
    print(f"recorded   {recorded!r} kg CO2e/{document['result']['declared_unit']}")
    if recomputed is not None:
        print(f"recomputed {recomputed['total_kg_co2e']!r}")
    if differences:
        print(f"DIFFERENT in: {', '.join(differences)}")
        return 1
    print("identical, bit for bit (every field of the result)")
    return 0


def _formats_doc(arguments: argparse.Namespace) -> int:
    from pcf.formats.docs import DOC_PATH, render_markdown

    DOC_PATH.write_text(render_markdown(), encoding="utf-8")
    print(f"wrote {DOC_PATH}")
    return 0


def _serve(arguments: argparse.Namespace) -> int:
    from pcf.api.auth import Role, token_secret
    from pcf.api.local_server import LocalServer, local_tokens

    secret = token_secret()
    if arguments.token:
        print(local_tokens(secret).issue(arguments.subject, [Role(arguments.token)]))
        return 0
    server = LocalServer(
        _engine(arguments),
        secret,
        objects_dir=arguments.objects,
        host=arguments.host,
        port=arguments.port,
    )
    print(f"serving the API on {server.url} (OpenAPI: {server.url}/openapi.json); Ctrl-C stops")
    print(f"the web app: {server.url}/ (sign in with a token: pcf serve --token sme)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.http.server_close()
    return 0


def _pact_pull(arguments: argparse.Namespace) -> int:
    import os
    import secrets

    from pcf.adapters.object_store import FolderObjectStore, UrlSigner
    from pcf.pact.supplier_import import SupplierFigure, SupplierImportError
    from pcf.pact.supplier_pull import PullError, SupplierApi, pull_supplier_footprints

    secret = os.environ.get(arguments.client_secret_env)
    if not secret:
        print(f"the environment variable {arguments.client_secret_env} is not set", file=sys.stderr)
        return 2
    # the store's URL signer is never used here (no pre-signed URLs): a throwaway key
    store = FolderObjectStore(arguments.objects, UrlSigner(secrets.token_bytes(32)), "")
    try:
        api = SupplierApi(
            arguments.url,
            arguments.client_id,
            secret,
            api_version=arguments.api_version,
            ca_file=arguments.ca_file,
        )
        result = pull_supplier_footprints(
            _engine(arguments),
            store,
            api,
            product_ids=arguments.product_id,
            footprint_ids=arguments.footprint_id,
            page_size=arguments.page_size,
            figure=SupplierFigure(arguments.figure),
            valid_from=arguments.valid_from,
            valid_to=arguments.valid_to,
        )
    except PullError as error:
        print(f"pull failed, nothing loaded: {error}", file=sys.stderr)
        return 1
    except SupplierImportError as error:
        print("rejected, nothing loaded:", file=sys.stderr)
        print("\n".join(f"  {problem}" for problem in error.problems), file=sys.stderr)
        return 1
    version = result.version
    print(
        f"supplier_footprints version {version.version}: {', '.join(result.item_ids)} "
        f"from {arguments.url} (raw: {result.raw_keys[-1]})"
    )
    for note in result.notes:
        print(f"note: {note}")
    return 0


def _demo(arguments: argparse.Namespace) -> int:
    from pcf.sample.spec import DEFAULT, LARGE, SMALL
    from pcf.usecases.demo import run_demo

    if arguments.live:
        from pcf.adapters.postgres.connection import database_url
        from pcf.observability import logger
        from pcf.usecases.demo import schema_engine
        from pcf.usecases.live_demo import run_live_demo

        logger.setLevel("WARNING")  # one log line per ingested batch is for CloudWatch

        live = run_live_demo(
            # a schema of its own, emptied: each live run is compared with itself alone
            schema_engine(database_url(arguments.data_dir), "live_demo", fresh=True),
            arguments.out / "raw",
            minutes=arguments.minutes,
            speed=arguments.speed,
        )
        return 0 if all(check.agrees for check in live.checks) else 1

    spec = {"small": SMALL, "default": DEFAULT, "large": LARGE}[arguments.size]
    overrides = {
        name: getattr(arguments, name)
        for name in ("seed", "machines", "products", "days")
        if getattr(arguments, name) is not None
    }
    spec = dataclasses.replace(spec, **overrides)
    outcome = run_demo(spec, arguments.data_dir, arguments.out, progress=not arguments.no_progress)
    return 0 if outcome.worked_example_reproduced else 1


if __name__ == "__main__":
    sys.exit(main())
