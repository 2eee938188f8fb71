"""LatentLab in the notebook: the map, the traversal sliders and two maps compared, as Jupyter widgets.

::

    import latentlab as ll
    m = ll.widgets.Map("digits-vae")          # the WebGL map; lasso or box points, then m.selected()
    t = ll.widgets.Traverse("digits-vae")     # one slider per latent, the decoded picture redrawn live
    ll.widgets.link(m, t)                     # a click or selection on the map sets the sliders' base

``Map`` is an anywidget around the dashboard's own map bundle (see ``latentlab.widgets.map_widget`` for why);
``Traverse`` and ``Compare`` are ipywidgets layouts. They need the notebook extra:
``pip install 'latentlab[notebook]'``.
"""

from latentlab.core.errors import LatentLabError

try:
    import anywidget  # noqa: F401
    import ipywidgets  # noqa: F401
except ImportError:
    raise LatentLabError("LatentLab's notebook widgets need anywidget and ipywidgets; install them with "
                         "pip install 'latentlab[notebook]'.") from None

from latentlab.widgets.compare_widget import Compare
from latentlab.widgets.linking import link
from latentlab.widgets.map_widget import Map
from latentlab.widgets.traverse_widget import Traverse

__all__ = ["Map", "Traverse", "Compare", "link"]
