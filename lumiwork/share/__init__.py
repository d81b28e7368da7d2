"""Dashboards: frozen notebooks served live to colleagues behind share links.

`front` is the share front (`lumiwork dashboard serve`), the only process a
link holder reaches: it exchanges links for sessions, applies caps and rate
limits, and forwards an allowlist of paths to one Voila process per dashboard
(`voila`), which listens on 127.0.0.1 only. `pages` are the front's own pages.
"""
