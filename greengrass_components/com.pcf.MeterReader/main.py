"""com.pcf.MeterReader: poll the meters, turn readings into windows, send the windows to
Stream Manager. Runs as the Greengrass V2 component (``--config ipc``) and, with the same
code, as a plain local process (``--config my-site.yaml``).

Thin on purpose: everything but the process's own set-up lives in ``pcf.edge.component``
(``run_meter_reader``: restore the saved state, poll, save on the way out).
"""

from __future__ import annotations

import argparse
import logging
import signal
import threading
from collections.abc import Sequence

from pcf.edge.component import load_configuration, run_meter_reader


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--config", required=True, help='"ipc" under Greengrass, or a JSON/YAML file'
    )
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=args.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )

    config = load_configuration(args.config)
    stop = threading.Event()
    # how Greengrass stops a component: the loop ends, the state is saved, the process exits
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    run_meter_reader(config, stop)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
