"""Models in the server's memory: the cache of built spaces every API reads
(`cache`), and the general-knowledge space every build blends in
(`background`)."""
