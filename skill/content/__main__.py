"""``python -m skill.content``: compile every locale's YAML files to ``compiled.json``."""

from __future__ import annotations

import argparse

from skill.content import CONTENT_DIR, compile_locale_dir, validate_all
from skill.core.locales import SUPPORTED_LOCALES


def main() -> None:
    argparse.ArgumentParser(prog="python -m skill.content", description=__doc__).parse_args()
    for locale in SUPPORTED_LOCALES:
        print(compile_locale_dir(CONTENT_DIR / locale))
    validate_all()


if __name__ == "__main__":
    main()
