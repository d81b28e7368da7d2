"""The notebook layer for the Analytics API v4: frames, plots and widgets."""
