"""Data: the one layout (:mod:`lslib.data.schema`), the real-data registry, the Global Landslide
Catalog, IMD rainfall, STAC acquisition, the simulator (:mod:`lslib.data.sim`), the torch dataset
over the layout, splits, augmentation and cGAN pairs."""
