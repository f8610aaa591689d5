"""The ``naftiko-lambda`` command: validate | compile | serve | template | import openapi | migrate."""

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
    validate.add_argument(
        "--strict", action="store_true", help="also fail on operations left out and on JSON Schema departures"
    )

    compile_ = commands.add_parser(
        "compile", help="write the compiled forms (JSON per spec, the MCP index) into .naftiko-cache/ beside the specs"
    )
    compile_.add_argument(
        "files", nargs="+", type=Path, help="spec files, or folders: each of their specs, and their MCP index"
    )

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
    serve.add_argument("--token", help="the MCP bearer token (default: MCP_BEARER_TOKENS, else kept in --token-file)")
    serve.add_argument(
        "--token-file", type=Path, default=Path(".naftiko/serve-token"), help="where the local MCP token is kept"
    )
    mode = serve.add_mutually_exclusive_group()
    mode.add_argument("--sandbox", dest="sandbox", action="store_true", default=None, help="always use the sandbox")
    mode.add_argument("--live", dest="sandbox", action="store_false", help="never use the sandbox")

    template = commands.add_parser("template", help="write template.yaml (AWS SAM) from the capabilities")
    template.add_argument("--capabilities", type=Path, default=Path("capabilities"))
    template.add_argument("--output", type=Path, default=Path("template.yaml"))
    template.add_argument(
        "--env-file", type=Path, default=Path("events/env.local.json"), help="the `sam local --env-vars` file"
    )
    template.add_argument("--check", action="store_true", help="exit 1 if the files are not up to date")

    importer = commands.add_parser("import", help="write capability files from an API description")
    formats = importer.add_subparsers(dest="format", required=True)
    openapi = formats.add_parser("openapi", help="from an OpenAPI 3.0 or 3.1 document (YAML or JSON)")
    openapi.add_argument("source", type=Path, help="the OpenAPI document ($refs to files beside it are followed)")
    openapi.add_argument("--namespace", help="capability namespace (default: from info.title, kebab-case)")
    openapi.add_argument("--split-by-tag", action="store_true", help="one file per tag: <namespace>-<tag>.yaml")
    openapi.add_argument("--include-tag", action="append", default=[], metavar="TAG", help="only operations with TAG")
    openapi.add_argument("--exclude-deprecated", action="store_true", help="leave deprecated operations out")
    openapi.add_argument("-o", "--output", type=Path, default=Path("capabilities"), help="folder to write into")
    openapi.add_argument(
        "--format",
        choices=("alpha2", "beta4"),
        default="alpha2",
        help="write Naftiko 1.0.0-alpha2 (default: what the seeds and the corpus are) or Ikanos 1.0.0-beta4",
    )

    migrate = commands.add_parser(
        "migrate", help="rewrite alpha1/alpha2 capability files as Ikanos 1.0.0-beta4, in place"
    )
    migrate.add_argument("files", nargs="+", type=Path)
    migrate.add_argument("--check", action="store_true", help="write nothing; exit 1 if a file would change")

    args = parser.parse_args(argv)
    if args.command == "migrate":
        try:
            from .migrate import migrate_files
        except ImportError:  # pragma: no cover - ruamel.yaml is in the serve and dev extras
            print("migrate needs ruamel.yaml: pip install 'naftiko-lambda[serve]'", file=sys.stderr)
            return 2
        return migrate_files(args.files, check=args.check)
    if args.command == "import":
        from .importer.command import run_import, today
        from .importer.convert import ImportOptions

        options = ImportOptions(
            namespace=args.namespace,
            split_by_tag=args.split_by_tag,
            include_tags=tuple(args.include_tag),
            exclude_deprecated=args.exclude_deprecated,
            today=today(),
            dialect=args.format,
        )
        return run_import(args.source, args.output, options)
    if args.command == "validate":
        from .validate import validate_files

        return validate_files(args.files, schema=not args.no_schema, strict=args.strict)
    if args.command == "compile":
        from .compile import compile_command

        return compile_command(args.files)
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
                token=args.token,
                token_file=args.token_file,
            )
        except SpecError as exc:
            print(exc, file=sys.stderr)
            return 1
    if args.command == "template":
        from .template import render_env_file, render_template

        try:
            files = {args.output: render_template(args.capabilities), args.env_file: render_env_file(args.capabilities)}
        except SpecError as exc:
            print(exc, file=sys.stderr)
            return 1
        if args.check:
            stale = [f for f, text in files.items() if (f.read_text(encoding="utf-8") if f.exists() else "") != text]
            for file in stale:
                print(f"{file} is stale: run `naftiko-lambda template`", file=sys.stderr)
            return 1 if stale else 0
        for file, text in files.items():
            file.parent.mkdir(parents=True, exist_ok=True)
            file.write_text(text, encoding="utf-8")
            print(f"wrote {file}")
        return 0
    return 2  # pragma: no cover - argparse rejects unknown commands


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
