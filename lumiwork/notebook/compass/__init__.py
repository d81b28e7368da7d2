"""The notebook layer for the Compass API: frames, plots and widgets."""
