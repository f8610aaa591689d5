"""The ``naftiko-lambda`` command: validate | compile | serve | template."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from ..errors import SpecError


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="naftiko-lambda", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    validate = commands.add_parser("validate", help="check capability files (schema and meaning)")
    validate.add_argument("files", nargs="+", type=Path)
    validate.add_argument("--no-schema", action="store_true", help="skip the JSON Schema check")

    compile_ = commands.add_parser("compile", help="write the JSON compile cache beside the spec files")
    compile_.add_argument("files", nargs="+", type=Path)

    serve = commands.add_parser("serve", help="run REST and MCP locally through the Lambda handlers")
    serve.add_argument("--capabilities", type=Path, default=Path("capabilities"), help="folder of capability specs")
    serve.add_argument("--host", default="127.0.0.1", help="interface to listen on (loopback unless --allow-remote)")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--allow-remote", action="store_true", help="allow a non-loopback --host: other machines can reach it"
    )
    serve.add_argument(
        "--timeout", type=float, default=28.0, help="seconds an invocation may take, as a function's timeout (28)"
    )
    mode = serve.add_mutually_exclusive_group()
    mode.add_argument("--sandbox", dest="sandbox", action="store_true", default=None, help="always use the sandbox")
    mode.add_argument("--live", dest="sandbox", action="store_false", help="never use the sandbox")

    template = commands.add_parser("template", help="write template.yaml (AWS SAM) from the capabilities")
    template.add_argument("--capabilities", type=Path, default=Path("capabilities"))
    template.add_argument("--output", type=Path, default=Path("template.yaml"))
    template.add_argument("--check", action="store_true", help="exit 1 if the file is not up to date")

    args = parser.parse_args(argv)
    if args.command == "validate":
        from .validate import validate_files

        return validate_files(args.files, schema=not args.no_schema)
    if args.command == "compile":
        from ..capability.load import compile_capabilities

        try:
            for target in compile_capabilities(args.files):
                print(f"wrote {target}")
        except SpecError as exc:
            print(exc, file=sys.stderr)
            return 1
        return 0
    if args.command == "serve":
        from .serve import serve as run_server

        try:
            return run_server(
                args.capabilities.resolve(),
                args.host,
                args.port,
                args.sandbox,
                allow_remote=args.allow_remote,
                ceiling_s=args.timeout,
            )
        except SpecError as exc:
            print(exc, file=sys.stderr)
            return 1
    if args.command == "template":
        from .template import render_template

        try:
            text = render_template(args.capabilities)
        except SpecError as exc:
            print(exc, file=sys.stderr)
            return 1
        if args.check:
            current = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
            if current != text:
                print(f"{args.output} is stale: run `naftiko-lambda template`", file=sys.stderr)
                return 1
            return 0
        args.output.write_text(text, encoding="utf-8")
        print(f"wrote {args.output}")
        return 0
    return 2  # pragma: no cover - argparse rejects unknown commands


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
