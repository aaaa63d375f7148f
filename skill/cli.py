"""The ``halsporre`` command: chat | invoke | serve | package | audio."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from skill.core.locales import SUPPORTED_LOCALES

log = logging.getLogger("halsporre")


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


def cmd_chat(args: argparse.Namespace) -> int:
    from skill.frontends.console import run_chat

    return run_chat(
        locale=args.locale, as_json=args.json, fast=args.fast, speak=args.speak,
        user=args.user, stdin=sys.stdin, stdout=sys.stdout,
    )


def cmd_invoke(args: argparse.Namespace) -> int:
    from skill.alexa.builder import build_skill
    from skill.alexa.invoke import BadEnvelope, invoke

    raw = sys.stdin.read()
    try:
        envelope = json.loads(raw)
    except json.JSONDecodeError as exc:
        print(f"halsporre invoke: input is not valid JSON: {exc}", file=sys.stderr)
        return 2
    try:
        response = invoke(build_skill(), envelope)
    except BadEnvelope as exc:
        print(f"halsporre invoke: {exc}", file=sys.stderr)
        return 2
    json.dump(response, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from skill.alexa.builder import build_skill
    from skill.config import Settings
    from skill.frontends.web import run_server

    settings = Settings.from_env()
    run_server(build_skill(settings), host=args.host, port=args.port,
               verify=not args.no_verify, skill_id=settings.skill_id, settings=settings)
    return 0


def cmd_package(args: argparse.Namespace) -> int:
    from skill.tools.package import write_skill_package

    try:
        path = write_skill_package(args.out, endpoint=args.endpoint, config_path=args.config,
                                   legal_base_url=args.legal_base_url)
    except (ValueError, OSError) as exc:
        print(f"halsporre package: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {path} and {path.parent / 'ask-resources.json'}")
    if args.legal_out:
        from skill.frontends.legal import write_static

        pages = write_static(Path(args.legal_out))
        print(f"wrote {len(pages)} legal pages under {args.legal_out}")
    return 0


def cmd_audio(args: argparse.Namespace) -> int:
    from skill.tools.audio.build import _parser as audio_parser
    from skill.tools.audio.build import main as audio_main

    if not args.audio_args:  # nothing asked: say how, build nothing
        audio_parser().print_help(sys.stdout)
        return 0
    if args.audio_args[0] == "publish":
        from skill.tools.audio.publish import main as publish_main

        return publish_main(args.audio_args[1:])
    return audio_main(args.audio_args)


def cmd_models(args: argparse.Namespace) -> int:
    from skill.tools.models import main as models_main

    return models_main(args.models_args)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("halsporre")
    except PackageNotFoundError:  # a source tree without an install
        return "unknown"


def parser() -> argparse.ArgumentParser:
    fmt = argparse.ArgumentDefaultsHelpFormatter
    p = argparse.ArgumentParser(prog="halsporre", description=__doc__, formatter_class=fmt)
    p.add_argument("-v", "--verbose", action="store_true", help="log requests to stderr")
    p.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = p.add_subparsers(dest="command", required=True)

    def add(name: str, help_text: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=help_text, description=help_text, formatter_class=fmt)

    chat = add("chat", "talk to the skill in a text console")
    chat.add_argument("--locale", default="sv-SE", choices=SUPPORTED_LOCALES,
                      help="the language to talk in")
    chat.add_argument("--json", action="store_true", help="one JSON object per turn")
    chat.add_argument("--fast", action="store_true", help="do not wait out pauses")
    chat.add_argument("--speak", action="store_true", help="play the audio through a player")
    chat.add_argument("--user", default=None,
                      help="keep progress under this name (in HALSPORRE_DB_PATH) across runs; "
                      "without it each run is a new user")
    chat.set_defaults(func=cmd_chat)

    inv = add("invoke", "one request envelope on stdin -> response on stdout")
    inv.set_defaults(func=cmd_invoke)

    serve = add("serve", "run the webservice (Flask's server; gunicorn for production)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", type=int, default=5000, help="port to listen on")
    serve.add_argument("--no-verify", action="store_true",
                       help="DEVELOPMENT ONLY: accept unsigned requests")
    serve.set_defaults(func=cmd_serve)

    pkg = add("package", "write an ASK CLI skill package")
    pkg.add_argument("--out", default="skill-package")
    pkg.add_argument("--endpoint", default=None,
                     help="HTTPS endpoint URI or Lambda ARN (default: from the config file)")
    pkg.add_argument("--config", default=None, help="deployment config (YAML)")
    pkg.add_argument("--legal-base-url", default=None,
                     help="HTTPS base of the privacy and terms pages (default: the "
                          "endpoint's host; needed for a Lambda endpoint)")
    pkg.add_argument("--legal-out", default=None,
                     help="also write the privacy and terms pages here as static files")
    pkg.set_defaults(func=cmd_package)

    audio = add("audio", "render clips (halsporre audio build -h) or upload them to S3 "
                         "(halsporre audio publish -h)")
    audio.add_argument("audio_args", nargs=argparse.REMAINDER)
    audio.set_defaults(func=cmd_audio)

    models = add("models", "build the interaction models' samples from their grammar files "
                 "(halsporre models build|check)")
    models.add_argument("models_args", nargs=argparse.REMAINDER)
    models.set_defaults(func=cmd_models)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    _setup_logging(args.verbose)
    return int(args.func(args) or 0)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
