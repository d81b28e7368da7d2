"""The analyst's side in a notebook, per API (`v4`, `compass`): frames (tidy
DataFrames from the clients), plots (pure functions from frames to figures)
and widgets (panels whose controls re-call frames and plots); shared by all:
`panel`, `tables`, `figures` and `vectors`."""
