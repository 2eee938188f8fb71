"""Figures for papers and maps to share, from the same engine as the dashboard.

``ll.figures.map``, ``traversal``, ``metrics``, ``compare`` and ``clusters`` each return a matplotlib Figure
(``latentlab figure KIND ... --out FILE`` and the pages' "Download figure" controls write the same ones);
``save(fig, "map.pdf")`` writes PDF, SVG or PNG, the points rasterised inside the vector file while text, axes
and labels stay vector and editable (TrueType fonts in PDF, ``<text>`` in SVG). ``share_map`` writes one
self-contained HTML file of a map that opens from disk with no server and no network.

Cluster names are placed by our own rule (``latentlab.figures.labels``), the same for the figure, the live
map and the shared HTML. datamapplot, the field's anchor for labelled data maps, was weighed as the placement
engine and not taken: it brings dask, datashader, bokeh and scikit-image and pins pandas below 3, which would
replace the pandas the project runs on, too much for an optional extra that places a few dozen names.

Needs the figures extra for the Figure functions (``pip install 'latentlab[figures]'``); the shared HTML and
the label placement need only numpy.
"""

from latentlab.figures.api import clusters, compare, map, map_data, metrics, save, traversal  # noqa: A004
from latentlab.figures.labels import PlacedLabel, place_labels
from latentlab.figures.share import share_map

__all__ = ["map", "traversal", "metrics", "compare", "clusters", "save", "share_map", "map_data", "place_labels",
           "PlacedLabel"]
