"""The `closedloop` command. Subcommands are Django management commands (demo, serve, import,
createuser, migrate, …) plus the engine's file-based tools (funnel, attribution), which need no
database and so skip Django entirely."""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    command = args[0] if args else "help"
    if command == "funnel":
        from closedloop.engine.cli_funnel import run_funnel_cli

        sys.exit(run_funnel_cli(args[1:]))
    if command == "attribution":
        from closedloop.engine.cli_attribution import run_attribution_cli

        sys.exit(run_attribution_cli(args[1:]))

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "closedloop.config.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["closedloop", *args])


if __name__ == "__main__":
    main()
