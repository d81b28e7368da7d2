"""GET /api/sharing/: what the sharing API offers, in plain text."""

DOCUMENTATION = """lumiwork sharing API: dashboards, share links, exports and schedules

Every endpoint takes 'Authorization: Token <token>' (the same tokens as API v4
and Compass). Results are JSON; errors are {{"error": CODE, "message": ...}}
with a 4xx status. Share links open at {share_url} (`lumiwork dashboard serve`).

Dashboards: a frozen copy of a notebook bound to one API v4 project. Its
kernels hold a token that reads that project only.
  GET    dashboards/                 your dashboards
  POST   dashboards/                 publish: {{"notebook": <notebook JSON>, "project": NAME, "name": NAME}}
                                     (name: default the notebook's first heading, else the project's)
  GET    dashboards/<id>/            one dashboard
  DELETE dashboards/<id>/            unpublish (its links, schedules and runs go too)

Shares: signed links to one dashboard, shown once at creation.
  GET    shares/[?dashboard=<id>]    links with their expiry, views and last view
  POST   shares/                     {{"dashboard": ID, "expires": "7d", "inactivity": "2h",
                                       "snapshot": false, "params": {{"subset": "Chapter 2"}},
                                       "max_viewers": 5}} -> the link in "url"
  DELETE shares/<id>/                revoke: the link and its open views end at once
  Durations: a number of seconds, or with s, m, h, d or w (30m, 2h, 7d).
  "params" are locked: the dashboard reads them (lumiwork.dashboard.parameters)
  and the viewer cannot change them. "snapshot" links show the latest
  run's HTML and start no kernel (they lock no parameters: runs have none). At the share front, link exchanges
  are rate-limited per address (a wrong link costs more) and live views per
  link, with 429 and Retry-After; each link has at most max_viewers live views.

Exports: a headless run of a dashboard (with its own token), now or by a schedule.
  POST   exports/                    {{"dashboard": ID, "format": "html|pdf|png|csv"}} -> 202, the run
  GET    exports/[?dashboard=&schedule=]   runs, newest first: status queued|running|done|failed,
                                     message (why a run failed), files
  GET    exports/<run>/              one run
  GET    exports/<run>/files/<name>  a file of the run: dashboard.html, dashboard.pdf,
                                     figure-N.png (one per figure), table-N.csv (one per table)

Schedules: cron expressions in a time zone; a run missed while the server was
down runs once when it is back; daylight-saving changes run a slot once.
  GET    schedules/                  your schedules with their next three runs
  POST   schedules/                  {{"dashboard": ID, "cron": "0 7 * * 1-5", "tz": "Europe/Brussels",
                                       "format": "pdf", "channel": NAME}}
  DELETE schedules/<id>/             stop a schedule (its runs stay)
"""
