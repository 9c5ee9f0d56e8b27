"""Data access: the real-data registry, the Global Landslide Catalog, and (later) the simulator and STAC."""
