"""com.pcf.MeterReader: poll the meters, turn readings into windows, send the windows to
Stream Manager. Runs as the Greengrass V2 component (``--config ipc``) and, with the same
code, as a plain local process (``--config my-site.yaml``).

Thin on purpose: everything but the process's own set-up lives in ``pcf.edge.component``.
"""

from __future__ import annotations

import argparse
import logging
import signal
import threading
from collections.abc import Sequence

from pcf.adapters.stream_manager import StreamManagerSink
from pcf.edge.component import build_processor, build_source, load_configuration, run

logger = logging.getLogger("com.pcf.MeterReader")


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
    source = build_source(config)
    processor = build_processor(config)
    sink = StreamManagerSink(config.stream)
    logger.info(
        "reading %d meters every %ss into %ss windows, stream %s -> Kinesis %s",
        len(config.meters),
        config.poll_interval_seconds,
        config.window_seconds,
        config.stream.name,
        config.stream.kinesis_stream_name,
    )

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())  # how Greengrass stops a component
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        run(source, processor, sink, config, stop)
    finally:
        source.close()
        sink.close()
        if sink.backlog:
            logger.error("stopped with %d windows not yet in the stream", sink.backlog)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
