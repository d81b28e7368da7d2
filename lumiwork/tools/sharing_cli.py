"""`lumiwork dashboard | share | export | schedule`: publishing notebooks as
dashboards, share links, exports and schedules, through the server's sharing API."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from ..settings import DEFAULT_SHARE_PORT


def _client(args):
    from ..client.sharing import SharingClient

    return SharingClient.connect(getattr(args, "url", None))


def _local(iso: str | None) -> str:
    if not iso:
        return "-"
    return dt.datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M")


def _in_zone(iso: str | None, tz: str) -> str:
    """A time as a schedule's reader thinks of it: in the schedule's own time zone."""
    if not iso:
        return "-"
    from zoneinfo import ZoneInfo

    return dt.datetime.fromisoformat(iso).astimezone(ZoneInfo(tz)).strftime("%a %Y-%m-%d %H:%M %Z")


def _table(rows: list[list[str]], header: list[str]) -> None:
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)).rstrip())


# ---- dashboard -----------------------------------------------------------------------------------

def cmd_publish(args) -> int:
    dashboard = _client(args).publish(args.notebook, args.project, args.name)
    print(f"published {args.notebook} as dashboard {dashboard['name']!r} on project {dashboard['project']!r}")
    print(dashboard["dashboard_id"])
    return 0


def cmd_dashboards(args) -> int:
    rows = [[d["dashboard_id"], d["name"], d["project"], _local(d["created"])] for d in _client(args).dashboards()]
    _table(rows, ["id", "name", "project", "published"])
    return 0


def cmd_unpublish(args) -> int:
    _client(args).unpublish(args.dashboard)
    print(f"dashboard {args.dashboard} unpublished; its links no longer open")
    return 0


def cmd_dashboard_serve(args) -> int:
    from ..settings import Settings
    from ..share.runner import serve_front
    from .cli import start_settings

    settings: Settings = start_settings()
    serve_front(args.host, args.port, Path(args.data_dir).absolute() if args.data_dir else settings.data_dir,
                args.api_url, settings)
    return 0


# ---- share ---------------------------------------------------------------------------------------

def _params(pairs: list[str]) -> dict[str, str]:
    params = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            from ..client.errors import LuminosoClientError

            raise LuminosoClientError({"code": "INVALID_PARAMETER",
                                       "message": f"--param takes KEY=VALUE, not {pair!r}"})
        params[name.strip()] = value
    return params


def cmd_share_create(args) -> int:
    link = _client(args).share(args.dashboard, expires=args.expires, inactivity=args.inactivity,
                               snapshot=args.snapshot, params=_params(args.param), max_viewers=args.max_viewers)
    locked = ", ".join(f"{k}={v}" for k, v in link["params"].items())
    print(f"share {link['share_id']} of dashboard {link['dashboard_id']}: expires {_local(link['expires'])}"
          + (f", locked {locked}" if locked else "") + (", snapshot only" if link["snapshot"] else ""))
    print(link["url"])
    return 0


def cmd_share_list(args) -> int:
    rows = []
    for link in _client(args).shares(args.dashboard):
        state = "revoked" if link["revoked"] else "open"
        rows.append([link["share_id"], link["dashboard_id"], _local(link["expires"]), str(link["views"]),
                     _local(link["last_view"]), state])
    _table(rows, ["id", "dashboard", "expires", "views", "last view", "state"])
    return 0


def cmd_share_revoke(args) -> int:
    link = _client(args).revoke(args.share)
    print(f"share {link['share_id']} revoked; its link and open views end now")
    return 0


# ---- export and schedule -------------------------------------------------------------------------

def cmd_export(args) -> int:
    import sys

    output = Path(args.output)
    try:  # before the run, so that a folder that cannot be made costs no run
        output.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        from ..client.errors import LuminosoClientError

        raise LuminosoClientError({"code": "BAD_OUTPUT", "message": f"cannot write to {output.parent}: "
                                   f"{exc.strerror}"}) from None
    client = _client(args)
    run = client.export(args.dashboard, args.format)
    seen = {"status": None}

    def progress(current: dict) -> None:
        if current["status"] != seen["status"]:
            seen["status"] = current["status"]
            print(f"export {current['run_id']}: {current['status']}", file=sys.stderr, flush=True)

    run = client.wait(run["run_id"], progress=progress)
    if run["status"] != "done":
        from ..client.errors import LuminosoClientError

        raise LuminosoClientError({"code": "EXPORT_FAILED", "message": f"export failed: {run['message']}"})
    written = save_run_files(client, run, output, args.format)
    for path in written:
        print(path)
    return 0


def save_run_files(client, run: dict, output: Path, format: str) -> list[Path]:
    """A run's files of `format` as `output` (one), or output-1, output-2... (several figures or tables)."""
    names = [name for name in run["files"] if name.endswith("." + format)]
    if not names:
        from ..client.errors import LuminosoClientError

        raise LuminosoClientError({"code": "NOTHING_TO_EXPORT", "message": f"the dashboard has no {format} "
                                   "output (PNG: no figures; CSV: no tables)"})
    if len(names) == 1:
        return [client.download(run["run_id"], names[0], output)]
    stem, suffix = output.with_suffix(""), output.suffix or "." + format
    return [client.download(run["run_id"], name, Path(f"{stem}-{number}{suffix}"))
            for number, name in enumerate(names, start=1)]


def cmd_schedule_create(args) -> int:
    schedule = _client(args).schedule(args.dashboard, args.cron, args.tz, args.format, args.channel)
    print(f"schedule {schedule['schedule_id']}: {schedule['cron']} ({schedule['tz']}), {schedule['format']}; "
          f"next runs " + ", ".join(_in_zone(t, schedule["tz"]) for t in schedule["next_runs"]))
    print(schedule["schedule_id"])
    return 0


def cmd_schedule_list(args) -> int:
    rows = [[s["schedule_id"], s["dashboard_id"], s["cron"], s["tz"], s["format"],
             _in_zone(s["next_runs"][0], s["tz"])]
            for s in _client(args).schedules()]
    _table(rows, ["id", "dashboard", "cron", "tz", "format", "next run"])
    return 0


def cmd_schedule_runs(args) -> int:
    rows = [[r["run_id"], r["dashboard_id"], r["schedule_id"] or "-", r["format"], r["status"],
             _local(r["finished"] or r["created"]), ", ".join(r["files"]) or (r["message"] or "")]
            for r in _client(args).runs(args.dashboard, args.schedule)]
    _table(rows, ["run", "dashboard", "schedule", "format", "status", "when", "files"])
    return 0


def cmd_schedule_delete(args) -> int:
    _client(args).unschedule(args.schedule)
    print(f"schedule {args.schedule} deleted")
    return 0


def add_commands(commands) -> None:
    """Register the dashboard, share, export and schedule subcommands."""
    def with_url(parser):
        parser.add_argument("--url", help="the server's API v4 root (default: $LUMIWORK_URL, else the local server)")
        return parser

    dashboard = commands.add_parser("dashboard", help="publish notebooks as dashboards; serve them to colleagues")
    actions = dashboard.add_subparsers(dest="action", required=True)
    publish = with_url(actions.add_parser("publish", help="freeze a copy of a notebook as a dashboard; prints its id"))
    publish.add_argument("notebook")
    publish.add_argument("--project", required=True, help="the API v4 project (by name) it reads")
    publish.add_argument("--name", help="the dashboard's name (default: the notebook's title, else the project's)")
    publish.set_defaults(run=cmd_publish)
    with_url(actions.add_parser("list", help="your dashboards")).set_defaults(run=cmd_dashboards)
    unpublish = with_url(actions.add_parser("unpublish", help="remove a dashboard, its links and schedules"))
    unpublish.add_argument("dashboard")
    unpublish.set_defaults(run=cmd_unpublish)
    serve = actions.add_parser("serve", help="run the share front colleagues' links open")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default %(default)s; "
                       "0.0.0.0 for your network, with LUMIWORK_SHARE_URL set to the address colleagues use)")
    serve.add_argument("--port", type=int, default=DEFAULT_SHARE_PORT, help="default %(default)s")
    serve.add_argument("--data-dir", help="the server's data folder (default: as `serve`)")
    serve.add_argument("--api-url", help="the API server the dashboards read (default: $LUMIWORK_URL, "
                       "else the local server)")
    serve.set_defaults(run=cmd_dashboard_serve)

    share = commands.add_parser("share", help="share links to dashboards: create, list, revoke")
    actions = share.add_subparsers(dest="action", required=True)
    create = with_url(actions.add_parser("create", help="a new link to a dashboard, printed as the last line"))
    create.add_argument("dashboard")
    create.add_argument("--expires", default="7d", help="how long the link works (default %(default)s)")
    create.add_argument("--inactivity", help="the link also ends after this long without use (e.g. 2h)")
    create.add_argument("--snapshot", action="store_true", help="show the latest scheduled run, no live view")
    create.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                        help="lock a dashboard parameter (repeatable), e.g. --param topic=River")
    create.add_argument("--max-viewers", type=int, help="live views at once through this link (default 5)")
    create.set_defaults(run=cmd_share_create)
    listing = with_url(actions.add_parser("list", help="links with their expiry, views and last view"))
    listing.add_argument("--dashboard")
    listing.set_defaults(run=cmd_share_list)
    revoke = with_url(actions.add_parser("revoke", help="withdraw a link at once"))
    revoke.add_argument("share")
    revoke.set_defaults(run=cmd_share_revoke)

    export = with_url(commands.add_parser("export", help="run a dashboard headless and save it"))
    export.add_argument("dashboard")
    export.add_argument("--format", choices=["html", "pdf", "png", "csv"], default="html")
    export.add_argument("-o", "--output", required=True,
                        help="file to write (several figures or tables: FILE-1, FILE-2, ...)")
    export.set_defaults(run=cmd_export)

    schedule = commands.add_parser("schedule", help="run dashboards on a schedule")
    actions = schedule.add_subparsers(dest="action", required=True)
    create = with_url(actions.add_parser("create", help="run a dashboard on a cron schedule"))
    create.add_argument("dashboard")
    create.add_argument("--cron", required=True, help='five cron fields, e.g. "0 7 * * 1-5"')
    create.add_argument("--tz", default="UTC", help="the time zone of the cron times (default %(default)s)")
    create.add_argument("--format", choices=["html", "pdf", "png", "csv"], default="pdf")
    create.add_argument("--channel", help="a channel to notify when a run fails")
    create.set_defaults(run=cmd_schedule_create)
    with_url(actions.add_parser("list", help="your schedules and their next runs")).set_defaults(run=cmd_schedule_list)
    runs = with_url(actions.add_parser("runs", help="runs with their status and files"))
    runs.add_argument("--dashboard")
    runs.add_argument("--schedule")
    runs.set_defaults(run=cmd_schedule_runs)
    delete = with_url(actions.add_parser("delete", help="stop a schedule"))
    delete.add_argument("schedule")
    delete.set_defaults(run=cmd_schedule_delete)
