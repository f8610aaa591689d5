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

    args = parser.parse_args(argv)
    if args.command == "validate":
        from .validate import validate_files

        return validate_files(args.files, schema=not args.no_schema)
    if args.command == "compile":
        from ..spec.load import compile_capabilities

        try:
            for target in compile_capabilities(args.files):
                print(f"wrote {target}")
        except SpecError as exc:
            print(exc, file=sys.stderr)
            return 1
        return 0
    return 2  # pragma: no cover - argparse rejects unknown commands


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
