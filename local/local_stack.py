"""``python -m local.local_stack``: keep a local pipeline running for other processes.

Starts the embedded S3 endpoint, the stack's buckets and the real handler in watch mode (every
new upload gets its S3 event), writes the stack outputs as JSON (like
``pulumi stack output --json``, plus ``variants``: the function's ``VARIANTS``, so the operations
tools need no Lambda API to know what to expect) and waits until interrupted. Another terminal
can then run, say, the smoke test against it::

    python -m local.local_stack --outputs out/local-stack.json
    AWS_ENDPOINT_URL=http://127.0.0.1:PORT AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local \\
        python -m ops.smoke_test --outputs out/local-stack.json
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from function.variant_spec import parse_variants, variants_to_json
from local.local_pipeline import FunctionConfig, FunctionLoadError, LocalPipeline
from local.local_s3 import DUMMY_CREDENTIALS, LocalS3, PortUnavailableError
from ops.outputs_source import VARIANTS_OUTPUT


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line; ``--help`` describes it."""
    parser = argparse.ArgumentParser(
        prog="python -m local.local_stack",
        description="Run the pipeline locally until interrupted: embedded S3 endpoint, the "
        "stack's buckets, and the real handler receiving an S3 event for every new upload.",
    )
    parser.add_argument("--port", type=int, default=0, help="S3 endpoint port (default: free)")
    parser.add_argument(
        "--outputs", type=Path, help="write the stack outputs JSON here (default: stdout only)"
    )
    parser.add_argument("--variants", metavar="JSON", help="VARIANTS for the function")
    parser.add_argument("--interval", type=float, default=0.2, help="poll interval in seconds")
    return parser.parse_args(argv)


def serve(args: argparse.Namespace, stop: threading.Event) -> None:
    """Run until ``stop`` is set, announcing the endpoint and outputs on stdout."""
    config = FunctionConfig(variants_json=args.variants)
    with (
        LocalS3(port=args.port) as s3,
        LocalPipeline(s3, config=config) as pipeline,
        pipeline.watch(args.interval),
    ):
        variants = variants_to_json(parse_variants(args.variants))
        outputs = json.dumps({**pipeline.stack_outputs(), VARIANTS_OUTPUT: variants}, indent=2)
        if args.outputs:
            args.outputs.parent.mkdir(parents=True, exist_ok=True)
            args.outputs.write_text(outputs + "\n")
        print(f"AWS_ENDPOINT_URL={s3.endpoint_url}")
        print(f"AWS_ACCESS_KEY_ID={DUMMY_CREDENTIALS['aws_access_key_id']}")
        print(f"AWS_SECRET_ACCESS_KEY={DUMMY_CREDENTIALS['aws_secret_access_key']}")
        print(outputs)
        print("Watching the upload bucket; Ctrl-C stops.", flush=True)
        while not stop.wait(0.5):
            pass
        print(
            f"Stopping: {len(pipeline.deliveries)} event(s) delivered, "
            f"{len(pipeline.failures)} failed.",
            flush=True,
        )


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: serve until SIGINT or SIGTERM; a clear message for expected failures."""
    args = parse_args(argv)
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        serve(args, stop)
    except (PortUnavailableError, FunctionLoadError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
