"""`lumiwork channel ...` and `lumiwork alert ...`: channels and alerts on a
running server (`lumiwork serve`), through its management API."""
from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from ..client.manage import ManageClient, condition, watched
from ..settings import Settings
from ..wire.names import local_url

METRIC_HELP = ("count: messages (on a concept: documents dated) in the window; velocity: them per hour over it; "
               "negative_share: the share of them with negative sentiment (0 to 1)")


def register(commands: argparse._SubParsersAction) -> None:
    """Add the `channel` and `alert` commands to lumiwork's command line."""
    channel = commands.add_parser("channel", help="where notifications go: signed webhooks",
                                  description="Channels receive alerts (and other notifications) as signed "
                                              "webhook POSTs; see the README's section on alerts.")
    actions = channel.add_subparsers(dest="action", required=True)
    create = _action(actions, "create", "a channel posting to a webhook URL", _channel_create)
    create.add_argument("name")
    create.add_argument("--webhook", required=True, metavar="URL", help="http:// or https:// URL to POST to")
    create.add_argument("--secret", help="the signing secret (at least 16 characters); default: generated "
                        "and printed once")
    create.add_argument("--account", help="the account it belongs to (default: yours)")
    _action(actions, "list", "every channel you can see", _channel_list)
    for name, what, run in (("show", "a channel, its alerts and its last deliveries", _channel_show),
                            ("test", "send a signed test notification now and say how it went", _channel_test),
                            ("delete", "delete a channel (not while alerts use it)", _channel_delete)):
        _action(actions, name, what, run).add_argument("name")

    alert = commands.add_parser("alert", help="rules on Compass topics and API v5 concepts that notify a channel",
                                description="An alert measures a Compass topic's messages (or the documents "
                                            "of an API v5 project's concept, by their date) over a window, "
                                            "every interval, and notifies a channel when it starts firing, "
                                            "while it keeps firing (every --repeat) and when it resolves.")
    actions = alert.add_subparsers(dest="action", required=True)
    create = _action(actions, "create", "a new alert; prints its id", _alert_create)
    create.add_argument("--project", required=True,
                        help="the Compass project (name or id); with --concept, the API v5 project")
    target = create.add_mutually_exclusive_group(required=True)
    target.add_argument("--topic", metavar="TITLE", help="the topic's title (a project or classifier topic)")
    target.add_argument("--topic-id", type=int, help="the topic's id, when several share a title")
    target.add_argument("--concept", metavar="TEXT", action="append",
                        help="an API v5 concept: its text (repeat for a concept of several texts)")
    create.add_argument("--concept-name", metavar="NAME", help="the concept's name (default: its first text)")
    create.add_argument("--filter", metavar="JSON", type=_json_list,
                        help='with --concept: a metadata filter, e.g. \'[{"name": "source", "values": ["web"]}]\'')
    create.add_argument("--date-field", metavar="FIELD",
                        help="with --concept: the date field that puts a document in a window "
                             "(default: the project's only date field)")
    create.add_argument("--metric", required=True, choices=("count", "velocity", "negative_share"),
                        help=METRIC_HELP)
    threshold = create.add_mutually_exclusive_group(required=True)
    threshold.add_argument("--above", type=float, metavar="X", help="fire when the metric is above X")
    threshold.add_argument("--below", type=float, metavar="X", help="fire when the metric is below X")
    create.add_argument("--window", required=True, help="the span measured, e.g. 1h, 30m")
    create.add_argument("--every", help="how often it is evaluated (default 1m)")
    create.add_argument("--for", dest="pending", metavar="DURATION",
                        help="how long the condition must hold before it fires (default 0s)")
    create.add_argument("--keep-firing", metavar="DURATION",
                        help="how long it keeps firing after the condition clears (default 0s)")
    create.add_argument("--repeat", metavar="DURATION", help="reminders while firing; 0 for none (default 4h)")
    create.add_argument("--channel", required=True, help="the channel to notify")
    create.add_argument("--name", help="default: made from the rule")
    create.add_argument("--link", metavar="URL", help="a link sent with every notification (a dashboard)")
    listing = _action(actions, "list", "every alert you can see, with its state", _alert_list)
    listing.add_argument("--project", help="only this project's (Compass or API v5)")
    for name, what, run in (("show", "an alert, its state and its last deliveries", _alert_show),
                            ("delete", "delete an alert", _alert_delete)):
        _action(actions, name, what, run).add_argument("id")


def _json_list(text: str) -> list:
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not JSON ({exc})") from None
    if not isinstance(value, list):
        raise argparse.ArgumentTypeError("a filter is a JSON list of conditions")
    return value


def _action(actions, name: str, what: str, run) -> argparse.ArgumentParser:
    parser = actions.add_parser(name, help=what, description=what[0].upper() + what[1:] + ".")
    parser.add_argument("--url", default=Settings.from_environment().url or local_url(),
                        help="the server (any of its URLs; default $LUMIWORK_URL or the local server)")
    parser.set_defaults(run=run)
    return parser


def _client(args) -> ManageClient:
    return ManageClient.connect(args.url)


def _print_table(rows: Sequence[Sequence[object]], header: Sequence[str]) -> None:
    cells = [[str(c) for c in header]] + [["" if c is None else str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    for row in cells:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())


def _print_deliveries(deliveries: list[dict]) -> None:
    if not deliveries:
        print("no deliveries yet")
        return
    _print_table([(d["created"][:19].replace("T", " "), d["event"], d["status"], d["attempts"],
                   d["last_status"], d["last_error"] or "") for d in deliveries],
                 ("CREATED (UTC)", "EVENT", "STATUS", "ATTEMPTS", "HTTP", "ERROR"))


# ---- channel ------------------------------------------------------------------------------------

def _channel_create(args) -> int:
    created = _client(args).create_channel(args.name, args.webhook, args.secret, args.account)
    print(f"channel {created['name']!r} created in account {created['account']}, posting to {created['webhook']}")
    if "secret" in created:
        print("Its signing secret, shown this once (give it to the receiver):", file=sys.stderr)
        print(created["secret"])
    return 0


def _channel_list(args) -> int:
    found = _client(args).channels()
    if not found:
        print("no channels: create one with `lumiwork channel create NAME --webhook URL`")
        return 0
    _print_table([(c["name"], c["account"], c["webhook"], c["deliveries"]["pending"], c["deliveries"]["delivered"],
                   c["deliveries"]["failed"]) for c in found],
                 ("NAME", "ACCOUNT", "WEBHOOK", "PENDING", "DELIVERED", "FAILED"))
    return 0


def _channel_show(args) -> int:
    channel = _client(args).channel(args.name)
    for key in ("name", "id", "account", "webhook", "secret_hint", "creator", "created"):
        print(f"{key.replace('_', ' ')}: {channel[key]}")
    print("alerts: " + (", ".join(f"{a['id']} ({a['name']}, {a['state']})" for a in channel["alerts"]) or "none"))
    _print_deliveries(channel["recent_deliveries"])
    return 0


def _channel_test(args) -> int:
    delivery = _client(args).test_channel(args.name)
    if delivery["status"] == "delivered":
        print(f"delivered: the receiver answered HTTP {delivery['last_status']}")
        return 0
    print(f"lumiwork: not delivered: {delivery['last_error']}", file=sys.stderr)
    return 1


def _channel_delete(args) -> int:
    _client(args).delete_channel(args.name)
    print(f"channel {args.name!r} deleted")
    return 0


# ---- alert --------------------------------------------------------------------------------------

def _alert_create(args) -> int:
    created = _client(args).create_alert(
        args.project, args.topic, topic_id=args.topic_id, metric=args.metric, above=args.above, below=args.below,
        window=args.window, every=args.every, pending=args.pending, keep_firing=args.keep_firing,
        repeat=args.repeat, channel=args.channel, name=args.name, link=args.link, concept=args.concept,
        concept_name=args.concept_name, filter=args.filter, date_field=args.date_field)
    print(f"alert {created['name']!r}: {condition(created)}, evaluated every {created['every']}, "
          f"notifying channel {created['channel']!r}", file=sys.stderr)
    print(created["id"])
    return 0


def _alert_list(args) -> int:
    found = _client(args).alerts(args.project)
    if not found:
        print("no alerts: create one with `lumiwork alert create`")
        return 0
    _print_table([(a["id"], a["name"], a["project"]["name"], watched(a), condition(a), a["state"],
                   a["state_since"][:19].replace("T", " "),
                   "" if a["last_value"] is None else f"{a['last_value']:g}", a["channel"]) for a in found],
                 ("ID", "NAME", "PROJECT", "WATCHES", "CONDITION", "STATE", "SINCE (UTC)", "VALUE", "CHANNEL"))
    return 0


def _alert_show(args) -> int:
    alert = _client(args).alert(args.id)
    print(f"name: {alert['name']}")
    print(f"id: {alert['id']}")
    print(f"project: {alert['project']['name']} ({alert['project']['id']})")
    target = alert["target"]
    if target.get("kind") == "v5_concept":
        print(f"concept: {target['name']} (texts {', '.join(map(repr, target['texts']))}; dated by "
              f"{target['date_field']!r}" + (f"; filter {json.dumps(target['filter'])}" if target.get("filter")
                                              else "") + ")")
    else:
        source = target.get("classifier")
        print(f"topic: {target.get('title')}" + (f" (classifier {source})" if source else ""))
    print(f"condition: {condition(alert)}, every {alert['every']}, for {alert['for']}, keep firing "
          f"{alert['keep_firing']}, repeat {alert['repeat']}")
    print(f"channel: {alert['channel']}" + (f"; link: {alert['link']}" if alert["link"] else ""))
    print(f"state: {alert['state']} since {alert['state_since']}")
    print(f"last value: {alert['last_value']} (evaluated {alert['last_evaluated']}); next evaluation "
          f"{alert['next_evaluation']}")
    if alert["last_error"]:
        print(f"last error: {alert['last_error']}")
    _print_deliveries(alert["recent_deliveries"])
    return 0


def _alert_delete(args) -> int:
    _client(args).delete_alert(args.id)
    print(f"alert {args.id} deleted")
    return 0
