"""`lumiwork serve | demo | upload | report | lab | background | channel | alert`, and the
sharing commands (`dashboard | share | export | schedule`, sharing_cli.py)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..settings import Settings, SettingsError
from ..wire.names import DEFAULT_HOST, DEFAULT_PORT, local_url
from . import alerts_cli, sharing_cli


def serve_password(flag: str | None, data_dir: Path) -> str | None:
    """The first user's password: --password, else $LUMIWORK_PASSWORD, else
    asked (twice, to confirm) on a terminal when `data_dir` is new, else None:
    the server then generates one and prints it once."""
    if flag:
        return flag
    password = Settings.from_environment().password
    if password:
        return password
    # A folder with anything in it already has its users (the server ignores
    # a password then): asking on every restart would only confuse.
    is_new = not data_dir.exists() or not any(data_dir.iterdir())
    if not (is_new and sys.stdin.isatty()):
        return None
    from getpass import getpass

    while True:
        password = getpass("Password for the first user (empty: generate one): ")
        if not password or getpass("Again, to confirm: ") == password:
            return password or None
        print("The two passwords differ; try again.", file=sys.stderr)


def start_settings() -> Settings:
    """The settings of a process that starts others (`serve`, `lab`): checked
    now (a wrong one stops the start, rather than failing every recalculation),
    and with paths made absolute once, for every process started from here."""
    settings = Settings.from_environment().validate().absolute()
    for name in settings.unknown_names():
        print(f"lumiwork: ignoring {name}: not a lumiwork setting", file=sys.stderr)
    if settings.counting == "dask":
        from ..engine.model import counting_choice

        try:
            counting_choice("dask")
        except ValueError as exc:
            raise SettingsError(f"LUMIWORK_COUNTING=dask: {exc}") from None
    return settings


def cmd_serve(args) -> int:
    from ..server import serve

    settings = start_settings()
    data_dir = Path(args.data_dir).absolute() if args.data_dir else settings.data_dir
    serve(args.host, args.port, data_dir, username=args.user,
          password=serve_password(args.password, data_dir), settings=settings)
    return 0


def cmd_demo(args) -> int:
    from ..client import LuminosoClient
    from .demo import build_demo_project

    if args.reviews:
        from ..client.v5 import V5Client, v5_root
        from .demo import build_reviews_project

        reviews = build_reviews_project(V5Client.connect(v5_root(args.url)), progress=True, rebuild=args.rebuild)
        print(f"reviews demo project ready: {reviews.url}")
        return 0
    client = LuminosoClient.connect(args.url)
    account = client.change_path(f"/projects/{client.default_account()}")
    project = build_demo_project(account, text_path=args.text, progress=True, rebuild=args.rebuild)
    print(f"demo project ready: {project.url}")
    return 0


def cmd_upload(args) -> int:
    from .upload import upload_file

    upload_file(args.file, args.account, args.project_name, url=args.url, append=args.append,
                stage=args.stage, language=args.language, username=args.username)
    return 0


def cmd_report(args) -> int:
    from .report import build_report

    build_report(args.notebook, args.output, timeout=args.timeout, startup_timeout=args.startup_timeout,
                 retries=args.retries, pdf=args.pdf)
    return 0


def cmd_lab(args) -> int:
    from .lab import run_lab

    return run_lab(no_browser=args.no_browser, lab_port=args.port, notebook_dir=args.notebook_dir,
                   api_port=args.api_port, settings=start_settings())


def cmd_background(args) -> int:
    """Build (or load) a language's background space and show what it is, what
    more could be installed, and what it knows."""
    from ..engine import background as background_space
    from ..engine.text import check_language, lemmatize

    settings = Settings.from_environment()
    language = check_language(args.language)
    folder = settings.background_cache(Path(args.data_dir) if args.data_dir else settings.data_dir)
    path = background_space.cache_path(folder, background_space.input_key(language, wordnet_dir=settings.wordnet_dir))
    cached = path.is_file()
    space = background_space.load_or_build(folder, progress=lambda stage: print(f"  {stage}...", flush=True),
                                           language=language, wordnet_dir=settings.wordnet_dir)
    described = space.describe()
    links = space.info.get("links")
    print(f"{described['method']}: {described['words']:,} words x {space.dimensions} dimensions"
          + (f", {links:,} links" if links else "")
          + f"; {'loaded from' if cached else 'built into'} {path}")
    for source in described["sources"]:
        print(f"  {source['name']}: {source['licence']}")
    for name, how in described["missing"].items():
        print(f"  more with {name}: {how}")
    for word in args.words:
        lemma = lemmatize(word, language)  # as a project's text would have it ("Fluss" -> "fluß")
        neighbours = space.neighbours(lemma, args.limit)
        shown = ", ".join(f"{w} {s:.2f}" for w, s in neighbours) or "(not in the background vocabulary)"
        print(f"{word}{'' if lemma == word else f' ({lemma})'}: {shown}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lumiwork", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the local server (API v4, API v5 and Compass)")
    serve.add_argument("--host", default=DEFAULT_HOST, help="address to listen on (default %(default)s)")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT, help="default %(default)s")
    serve.add_argument("--data-dir", help="where the database and models live "
                       "(default: $LUMIWORK_DATA_DIR or ~/.local/share/lumiwork)")
    serve.add_argument("--user", help="first user's name (or $LUMIWORK_USER)")
    serve.add_argument("--password", help="first user's password; other users can see it in "
                       "the process list, so prefer $LUMIWORK_PASSWORD or the prompt (on a "
                       "terminal); otherwise generated and printed once")
    serve.set_defaults(run=cmd_serve)

    demo = commands.add_parser("demo", help="build the cookbook's Siddhartha project (or, with --reviews, "
                               "the API v5 product reviews) on a server")
    demo.add_argument("--url", default=Settings.from_environment().url or local_url())
    demo.add_argument("--text", help="path of the Siddhartha text (else $LUMIWORK_SIDDHARTHA, "
                      "the cache, or a download)")
    demo.add_argument("--rebuild", action="store_true", help="replace an existing demo project")
    demo.add_argument("--reviews", action="store_true", help="the product-review sentences with ratings "
                      "(API v5), fetched with pip from the vaderSentiment 3.3.2 source archive")
    demo.set_defaults(run=cmd_demo)

    upload = commands.add_parser("upload", help="upload a CSV or JSON-lines file as a project (JSON lines "
                                 "with typed \"metadata\", as lumi-download writes them, go through API v5)")
    upload.add_argument("file")
    upload.add_argument("account")
    upload.add_argument("project_name")
    upload.add_argument("--url", default=Settings.from_environment().url or local_url())
    upload.add_argument("--append", action="store_true", help="add to an existing project")
    upload.add_argument("--stage", action="store_true", help="upload without recalculating")
    upload.add_argument("--language", help="the new project's language: en (default), de, fr, es, it, "
                        "pt or nl")
    upload.add_argument("--username", help="log in as this user (asks for the password)")
    upload.set_defaults(run=cmd_upload)

    report = commands.add_parser("report", help="run a notebook and export standalone HTML (and PDF)")
    report.add_argument("notebook")
    report.add_argument("-o", "--output", help="HTML file (default: beside the notebook)")
    report.add_argument("--timeout", type=int, default=600,
                        help="seconds a cell may run (default %(default)s)")
    report.add_argument("--startup-timeout", type=float, default=60,
                        help="seconds the kernel may take to start before it is restarted (default %(default)s)")
    report.add_argument("--retries", type=int, default=2,
                        help="new kernels to try when one does not start (default %(default)s)")
    report.add_argument("--pdf", action="store_true", help="also write a PDF beside the HTML (needs Chromium)")
    report.set_defaults(run=cmd_report)

    lab = commands.add_parser("lab", help="server + demo project + JupyterLab on the notebooks")
    lab.add_argument("--no-browser", action="store_true", help="do not open a browser")
    lab.add_argument("--port", type=int, help="JupyterLab's port")
    lab.add_argument("--api-port", type=int, default=DEFAULT_PORT,
                     help="the API server's port on 127.0.0.1, started if nothing answers there (default %(default)s)")
    lab.add_argument("--notebook-dir", help="your working folder; the cookbook notebooks are copied into it "
                     "when missing (default: $LUMIWORK_NOTEBOOKS or ~/lumiwork-notebooks)")
    lab.set_defaults(run=cmd_lab)

    background = commands.add_parser(
        "background", help="build (once) and inspect the general-knowledge space",
        description="Builds a language's general knowledge (English: GloVe 6B 50d, retrofitted to WordNet "
                    "and the LibreOffice thesaurus when installed) into the data folder's cache (or loads it), "
                    "says what it is made of and what more could be installed, and lists each WORD's "
                    "nearest words.")
    background.add_argument("words", nargs="*", metavar="WORD", help="words whose neighbours to show")
    background.add_argument("--language", default="en",
                            help="the projects' language: en, de, es, fr, it, nl or pt (default %(default)s)")
    background.add_argument("--limit", type=int, default=10, help="neighbours per word (default %(default)s)")
    background.add_argument("--data-dir", help="the server's data folder (default: as `serve`)")
    background.set_defaults(run=cmd_background)
    alerts_cli.register(commands)
    sharing_cli.add_commands(commands)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except KeyboardInterrupt:
        return 130
    except SettingsError as exc:  # the command cannot start as configured
        print(f"lumiwork: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # a CLI reports problems in one line, not a traceback
        from ..client import LuminosoError
        from ..engine.background import BackgroundUnavailable
        from ..engine.text import UnsupportedLanguage
        from .datasets import DatasetError
        from .report import ReportError

        if isinstance(exc, (LuminosoError, DatasetError, OSError, BackgroundUnavailable, ReportError,
                            UnsupportedLanguage)):
            print(f"lumiwork: {exc}", file=sys.stderr)
            return 1
        raise


if __name__ == "__main__":
    sys.exit(main())
