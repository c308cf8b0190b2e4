"""The `folio` command: parse arguments, run a stage, map outcomes to exit codes."""

from __future__ import annotations

import argparse
import signal
import sys
import time
import traceback
from pathlib import Path

from builder import __version__
from builder.diagnostics import BuildFailed, ConfigError, Reporter
from builder.fonts import FontConfigError
from builder.output import OutputError

EXIT_OK, EXIT_CONTENT, EXIT_USAGE, EXIT_INTERNAL, EXIT_INTERRUPT = 0, 1, 2, 3, 130


class Terminated(BaseException):
    """SIGTERM, turned into an exception so temporary files are removed on the way out."""


def _on_sigterm(signum, frame):
    raise Terminated()


def make_parser() -> argparse.ArgumentParser:
    """Arguments of every subcommand."""
    parser = argparse.ArgumentParser(prog="folio", description="Build EPUB and print PDF editions of a book.")
    parser.add_argument("--version", action="version", version=f"folio {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    build = sub.add_parser("build", help="build the editions of a book")
    build.add_argument("book_dir", nargs="?", default="book", type=Path, help="book folder (default: book)")
    build.add_argument("--out", default="dist", type=Path, help="output folder (default: dist)")
    build.add_argument("--edition", action="append", choices=("epub", "print"),
                       help="edition to build; repeat for several (default: all)")
    build.add_argument("--strict", action="store_true", help="treat every warning as an error")
    build.add_argument("--allow-remote", action="store_true",
                       help="fetch http(s) images (never from private, loopback or link-local addresses)")
    build.add_argument("--quiet", action="store_true", help="print only problems")
    build.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    check = sub.add_parser("check", help="validate an EPUB with EPUBCheck and Folio's own checks")
    check.add_argument("file", type=Path, help="the EPUB to check")
    check.add_argument("--strict", action="store_true", help="treat every warning as an error")
    check.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run folio; return the exit code."""
    args = make_parser().parse_args(argv)
    reporter = Reporter(strict=args.strict)
    signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        return run_check(args, reporter) if args.command == "check" else run_build(args, reporter)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return EXIT_USAGE
    except OutputError as exc:
        print(f"folio: error[OUT001]: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except FontConfigError as exc:
        print(f"folio: error[FNT002]: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BuildFailed:
        print(f"folio: build failed: {len(reporter.errors)} error(s), {len(reporter.warnings)} warning(s); "
              "nothing written", file=sys.stderr)
        return EXIT_CONTENT
    except (KeyboardInterrupt, Terminated) as exc:
        print("folio: interrupted; nothing written, previous editions unchanged", file=sys.stderr)
        return EXIT_INTERRUPT if isinstance(exc, KeyboardInterrupt) else 128 + signal.SIGTERM
    except Exception as exc:  # an internal error: short message, traceback on request
        if args.debug:
            traceback.print_exc()
        print(f"folio: internal error: {type(exc).__name__}: {exc} (rerun with --debug for the traceback)",
              file=sys.stderr)
        return EXIT_INTERNAL


def run_check(args: argparse.Namespace, reporter: Reporter) -> int:
    """`folio check FILE.epub`: exit 1 when EPUBCheck or Folio finds an error."""
    from builder.check import check_epub

    if not args.file.is_file():
        print(f"folio: error[CHK000]: {args.file} is not a file", file=sys.stderr)
        return EXIT_USAGE
    check_epub(args.file, reporter)
    errors, warnings = len(reporter.errors), len(reporter.warnings)
    print(f"{args.file}: {errors} error(s), {warnings} warning(s)")
    return EXIT_CONTENT if errors else EXIT_OK


def run_build(args: argparse.Namespace, reporter: Reporter) -> int:
    """`folio build`: build, then say what was written and how long it took."""
    from builder.build import EDITIONS, build

    started = time.monotonic()
    editions = tuple(args.edition) if args.edition else EDITIONS
    written = build(args.book_dir, args.out, editions, reporter, allow_remote=args.allow_remote)
    if not args.quiet:
        for path in written:
            print(f"wrote {path} ({path.stat().st_size / 1024:.0f} KiB)")
        print(f"built in {time.monotonic() - started:.1f} s, {len(reporter.warnings)} warning(s)")
    return EXIT_OK
