"""The `folio` command: parse arguments, run a stage, map outcomes to exit codes."""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
import traceback
from pathlib import Path

from builder import __version__, interrupt
from builder.diagnostics import BuildFailed, ConfigError, Diagnostic, Reporter, closest
from builder.fonts import FontConfigError
from builder.output import OutputError
from builder.profiles import PROFILES

EXIT_OK, EXIT_CONTENT, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


def make_parser() -> argparse.ArgumentParser:
    """Arguments of every subcommand."""
    parser = argparse.ArgumentParser(prog="folio", description="Build EPUB and print PDF editions of a book.")
    parser.add_argument("--version", action="version", version=f"folio {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    build = sub.add_parser("build", help="build the editions of a book")
    build.add_argument("book_dir", nargs="?", default="book", type=Path, help="book folder (default: book)")
    build.add_argument("-o", "--out", default="dist", type=Path, help="output folder (default: dist)")
    build.add_argument("--edition", action="append", metavar="NAME",
                       help="edition to build: a name from book.toml's [editions.NAME] tables, or epub or print "
                            "for a book without them; repeat for several (default: all)")
    build.add_argument("--strict", action="store_true", help="treat every warning as an error")
    build.add_argument("--allow-remote", action="store_true",
                       help="fetch http(s) images (never from private, loopback or link-local addresses)")
    build.add_argument("-q", "--quiet", action="store_true", help="print only problems")
    build.add_argument("--jobs", type=_count("a number of processes", "2"), metavar="N",
                       default=os.cpu_count() or 1,
                       help="processes laying out the print editions' chapters at once (default: the number of "
                            "CPUs; the output does not depend on it)")
    build.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    add_check_parser(sub)
    add_cover_parser(sub)
    add_new_parser(sub)
    add_watch_parser(sub)
    return parser


def add_check_parser(sub) -> None:
    """`folio check`: EPUBCheck for an EPUB, the preflight of a profile for any PDF, or both for what a book
    folder's build wrote."""
    check = sub.add_parser(
        "check", help="validate an EPUB (EPUBCheck and Folio's own checks), preflight a PDF against a profile, "
                      "or check every edition a book folder's build wrote",
        description="An EPUB is checked with EPUBCheck and Folio's own checks. A PDF (ours or another tool's) is "
                    "preflighted against --profile: each failed rule is one line `FILE.pdf:PAGE: error[PRE0NN]: "
                    "message`, where the line slot holds the 1-based page number (absent when the rule concerns "
                    "the whole file); a rule failing on many pages shows a few and counts the rest. A book folder "
                    "checks each edition's file in --out: EPUBs as above, PDFs against their edition's profile "
                    "and the book's bleed; a file not built is an error CHK000.")
    check.add_argument("file", type=Path, help="the EPUB or PDF to check, or a book folder")
    check.add_argument("-o", "--out", type=Path, metavar="OUT",
                       help="for a book folder: the folder its build wrote to (default: dist)")
    check.add_argument("--edition", action="append", metavar="NAME",
                       help="for a book folder: an edition to check; repeat for several (default: all)")
    check.add_argument("--bleed", type=_bleed, metavar="LENGTH",
                       help="the bleed the book asked for ([print] bleed, e.g. 3mm) instead of the profile's")
    check.add_argument("--profile", choices=tuple(PROFILES), type=_choice(tuple(PROFILES)),
                       help="for a PDF, required: the destination whose rules it must meet "
                            "(" + "; ".join(f"{p.name}: {p.summary}" for p in PROFILES.values()) + ")")
    check.add_argument("--strict", action="store_true", help="treat every warning as an error")
    check.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")


def add_cover_parser(sub) -> None:
    """`folio cover`: the wrap cover of the print edition for one printer."""
    cover = sub.add_parser("cover", help="build the wrap cover (back, spine, front) of the print edition")
    cover.add_argument("book_dir", nargs="?", default="book", type=Path, help="book folder (default: book)")
    cover.add_argument("--profile", required=True, choices=("kdp", "ingram", "press"),
                       type=_choice(("kdp", "ingram", "press")),
                       help="the printer the cover is for")
    cover.add_argument("-o", "--out", default="dist", type=Path, help="output folder (default: dist)")
    cover.add_argument("--pages", type=_count("a page count", "320"), metavar="N",
                       help="the print edition's page count (default: lay the edition out to count them)")
    cover.add_argument("--strict", action="store_true", help="treat every warning as an error")
    cover.add_argument("--allow-remote", action="store_true",
                       help="fetch http(s) images when laying out the edition to count its pages")
    cover.add_argument("-q", "--quiet", action="store_true", help="print only problems")
    cover.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")


def add_new_parser(sub) -> None:
    """`folio new DIR`: a book skeleton that builds as it is."""
    new = sub.add_parser("new", help="write a ready-to-build book skeleton (book.toml and two chapters)")
    new.add_argument("book_dir", type=Path, help="folder for the new book; it must be missing or empty")
    new.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    new.set_defaults(strict=False)


def add_watch_parser(sub) -> None:
    """`folio watch`: rebuild on every save and serve a live preview of the EPUB on 127.0.0.1."""
    watch = sub.add_parser(
        "watch", help="rebuild on save and serve a live HTML preview of the book on localhost",
        description="Build the EPUB in memory, serve its documents on http://127.0.0.1:PORT/ with the same styles "
                    "and font subsets, and rebuild whenever a file of the book folder changes: open pages reload "
                    "themselves. A failed build keeps the last good one on show, with its diagnostics in a box at "
                    "the top of the page. Nothing is written but the font-subset cache. Ctrl-C stops.")
    watch.add_argument("book_dir", nargs="?", default="book", type=Path, help="book folder (default: book)")
    watch.add_argument("--port", type=_port, default=8000, metavar="N",
                       help="port on 127.0.0.1 (default: 8000; 0 picks a free one)")
    watch.add_argument("--edition", metavar="NAME",
                       help="preview this EPUB, kepub or kindle edition from book.toml (default: the plain EPUB)")
    watch.add_argument("--strict", action="store_true", help="treat every warning as an error")
    watch.add_argument("--allow-remote", action="store_true",
                       help="fetch http(s) images on every rebuild (never from private or loopback addresses)")
    watch.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")


def _port(text: str) -> int:
    """A TCP port: 0 to 65535."""
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"expected a port from 0 to 65535, got {text!r}")
    return int(text)


def _bleed(text: str) -> float:
    """A bleed length such as 3mm or 0.125in, in inches."""
    from builder.config import LENGTH_RE, to_inches

    if not re.fullmatch(rf"\s*{LENGTH_RE}\s*", text):
        raise argparse.ArgumentTypeError(f"expected a length such as 3mm or 0.125in, got {text!r}")
    return to_inches(text)


def _choice(names: tuple[str, ...]):
    """An argparse type for one of `names`, whose error says which was meant (argparse's `choices` lists them)."""

    def parse(text: str) -> str:
        if text not in names:
            raise argparse.ArgumentTypeError(f"invalid choice {text!r}" + _did_you_mean(
                text, list(names), "") + " (choose from " + ", ".join(names) + ")")
        return text
    return parse


def _count(what: str, example: str):
    """An argparse type for a whole number from 1, its error naming `what` it counts."""

    def parse(text: str) -> int:
        if not text.isdigit() or int(text) < 1:
            raise argparse.ArgumentTypeError(f"expected {what} such as {example}, got {text!r}")
        return int(text)
    return parse


def parse_args(parser: argparse.ArgumentParser, argv: list[str] | None) -> argparse.Namespace:
    """argparse's parse, with "did you mean" for a misspelt command or option (exit 2, as argparse's)."""
    argv = sys.argv[1:] if argv is None else argv
    commands = _commands(parser)
    word = next((arg for arg in argv if not arg.startswith("-")), None)  # folio's own options take no values
    if word is not None and word not in commands:
        _usage_error(parser, f"unknown command {word}" + _did_you_mean(word, list(commands),
                                                                       "; expected one of: " + ", ".join(commands)))
    args, extras = parser.parse_known_args(argv)
    unknown = next((arg.split("=")[0] for arg in extras if arg.startswith("-")), None)
    options = [name for action in commands[args.command]._actions for name in action.option_strings]
    if unknown and unknown not in options:  # a real option put before its command: argparse's message fits
        _usage_error(commands[args.command], f"unknown option {unknown}"
                     + _did_you_mean(unknown, options, f"; see folio {args.command} --help"))
    if extras:
        parser.error(f"unrecognized arguments: {' '.join(extras)}")
    return args


def _commands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """The subcommands and their parsers (argparse keeps them on a private action: there is no public way)."""
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def _did_you_mean(word: str, known: list[str], otherwise: str) -> str:
    """`; did you mean X?` for the closest of `known`, else `otherwise`."""
    guess = closest(word, known)
    return f"; did you mean {guess}?" if guess else otherwise


def _usage_error(parser: argparse.ArgumentParser, message: str) -> None:
    """Print the usage and `folio: error: message`, and exit 2, as argparse does for its own errors."""
    parser.print_usage(sys.stderr)
    print(f"folio: error: {message}", file=sys.stderr)
    raise SystemExit(EXIT_USAGE)


def run() -> None:
    """The `folio` command's entry point: run, then leave without tearing the heap down. After a long book's
    layout, freeing a gigabyte of boxes object by object takes seconds and serves nothing: every file is
    written and closed by then (mypy leaves the same way)."""
    code = main()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except OSError:  # a closed pipe (`folio build | head`): nothing more can be said
            pass
    os._exit(code)


def main(argv: list[str] | None = None) -> int:
    """Run folio; return the exit code."""
    interrupt.install("folio: interrupted; nothing written, previous editions unchanged")
    args = parse_args(make_parser(), argv)
    reporter = Reporter(strict=args.strict)
    try:
        return {"check": run_check, "cover": run_cover, "new": run_new,
                "watch": run_watch}.get(args.command, run_build)(args, reporter)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return EXIT_USAGE
    except OutputError as exc:
        print(Diagnostic("error", "OUT001", str(exc)).format(), file=sys.stderr)
        return EXIT_USAGE
    except FontConfigError as exc:
        print(Diagnostic("error", "FNT002", str(exc)).format(), file=sys.stderr)
        return EXIT_USAGE
    except BuildFailed:
        print(f"folio: build failed: {len(reporter.errors)} error(s), {len(reporter.warnings)} warning(s); "
              "nothing written", file=sys.stderr)
        return EXIT_CONTENT
    except Exception as exc:  # an internal error: short message, traceback on request
        if args.debug:
            traceback.print_exc()
        print(f"folio: internal error: {type(exc).__name__}: {exc} (rerun with --debug for the traceback)",
              file=sys.stderr)
        return EXIT_INTERNAL


def run_check(args: argparse.Namespace, reporter: Reporter) -> int:
    """`folio check FILE.epub` or `folio check FILE.pdf --profile NAME`: exit 1 when a check finds an error."""
    from builder.check import check_epub
    from builder.preflight import check_pdf

    interrupt.say("folio check: interrupted")
    if args.file.is_dir():
        return run_check_book(args, reporter)
    if args.out or args.edition:
        print("folio check: error: --out and --edition apply to a book folder only", file=sys.stderr)
        return EXIT_USAGE
    is_pdf = args.file.suffix.lower() == ".pdf"
    if is_pdf != bool(args.profile):
        usage = "a PDF is checked against a print or screen profile: add --profile " if is_pdf else \
            "--profile applies to PDFs only; an EPUB is checked without one: drop --profile "
        print(f"folio check: error: {usage}{{{','.join(PROFILES)}}}", file=sys.stderr)
        return EXIT_USAGE
    if not args.file.is_file():
        print(f"folio: error[CHK000]: {args.file} is not a file or a book folder", file=sys.stderr)
        return EXIT_USAGE
    if is_pdf:
        check_pdf(args.file, args.profile, reporter, args.bleed)
    else:
        check_epub(args.file, reporter)
    errors, warnings = len(reporter.errors), len(reporter.warnings)
    print(f"{args.file}: {errors} error(s), {warnings} warning(s)")
    return EXIT_CONTENT if errors else EXIT_OK


def run_check_book(args: argparse.Namespace, reporter: Reporter) -> int:
    """`folio check BOOK_DIR`: check each edition's built file, a summary line each; exit 1 on any error."""
    from builder.check import check_book

    if args.profile or args.bleed is not None:
        print("folio check: error: a book folder's PDFs are checked against their editions' profiles and the "
              "book's [print] bleed: drop --profile and --bleed", file=sys.stderr)
        return EXIT_USAGE
    results = check_book(args.file, args.out or Path("dist"), tuple(args.edition or ()), reporter)
    for path, errors, warnings in results:
        print(f"{path}: {errors} error(s), {warnings} warning(s)")
    return EXIT_CONTENT if reporter.errors else EXIT_OK


def run_build(args: argparse.Namespace, reporter: Reporter) -> int:
    """`folio build`: build, then say what was written and how long it took."""
    from builder.cache import rebuild_from_cache

    from builder.progress import Progress

    started, names = time.monotonic(), tuple(args.edition or ())
    progress = Progress.for_terminal(args.quiet)
    reporter.stream = progress.guard(reporter.stream)  # a warning clears the live progress line first
    written, key = rebuild_from_cache(args.book_dir, args.out, names, reporter, args.allow_remote)
    reused = written is not None
    if written is None:
        from builder.build import build  # the libraries that parse and lay out load only when needed

        written = build(args.book_dir, args.out, names, reporter, allow_remote=args.allow_remote, progress=progress,
                        jobs=args.jobs, key=key)
    progress.done()
    if not args.quiet:
        for path in written:
            print(f"wrote {path} ({path.stat().st_size / 1024:.0f} KiB)")
        print(f"built in {time.monotonic() - started:.1f} s, {len(reporter.warnings)} warning(s)"
              + ("; nothing changed since the last build, whose files were reused" if reused else ""))
    return EXIT_OK


def run_cover(args: argparse.Namespace, reporter: Reporter) -> int:
    """`folio cover`: build the wrap cover, then say what was written and how long it took."""
    from builder.cover import build_cover

    started = time.monotonic()
    path = build_cover(args.book_dir, args.out, args.profile, reporter, pages=args.pages,
                       allow_remote=args.allow_remote)
    if not args.quiet:
        print(f"wrote {path} ({path.stat().st_size / 1024:.0f} KiB)")
        print(f"built in {time.monotonic() - started:.1f} s, {len(reporter.warnings)} warning(s)")
    return EXIT_OK


def run_new(args: argparse.Namespace, reporter: Reporter) -> int:
    """`folio new DIR`: write the skeleton, or refuse a folder that already holds something (exit 2)."""
    from builder.new import NewError, create_book

    interrupt.say(f"folio new: interrupted; {args.book_dir} may hold part of the skeleton")
    try:
        written = create_book(args.book_dir)
    except NewError as exc:
        print(f"folio: error[NEW001]: {exc}", file=sys.stderr)
        return EXIT_USAGE
    for path in written:
        print(f"wrote {path}")
    print(f"build it with: folio build {args.book_dir}")
    return EXIT_OK


def run_watch(args: argparse.Namespace, reporter: Reporter) -> int:
    """`folio watch`: serve the live preview until Ctrl-C (exit 130), which is how it is meant to end."""
    from builder.watch import watch

    interrupt.say("folio watch: stopped")
    return watch(args.book_dir, args.port, strict=args.strict, allow_remote=args.allow_remote, edition=args.edition,
                 debug=args.debug)
