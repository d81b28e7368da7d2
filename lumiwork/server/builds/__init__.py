"""Building semantic spaces, for every API: one queue and worker (`queue`),
builds in a child process at low priority (`parent`, `child`), API v4's
recalculation jobs (`recalculation`) and requests that wait for them (`watch`)."""
