"""The analyst side of API v5: frames, plots and widgets."""
