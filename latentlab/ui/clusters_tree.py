"""The Clusters page's threshold tree, drawn top down as a tidy tree: each node a labelled box (an inner node's cut,
a leaf's cluster in its map colour), edges from the bottom of a box to the top of its children's.

Every level's boxes sit in a horizontal band whose height is fixed in pixels, and an edge only joins two adjacent
levels, so it runs in the gap between their bands and crosses no label, whatever the chart's width. Across, a
subtree is placed as close to its left sibling as the widest labels of each shared level allow (Reingold and
Tilford's contours, with widths counted in characters), and a parent sits midway over its two children.
"""

from __future__ import annotations

from dataclasses import dataclass

import plotly.graph_objects as go
import streamlit as st

from latentlab.lab import threshold_number as number
from latentlab.ui.figures import PALETTE

LEVEL_PX = 78  # from one level's centre line to the next
BOX_PX = 34  # a box's height: two lines of text and its padding
GAP_CHARS = 2.0  # the least room between two boxes of a level, in characters
MARGIN = dict(l=10, r=10, t=36, b=6)
EDGE_GAP_PX = 3  # an edge stops this far short of the boxes it joins


@dataclass
class PlacedNode:
    x: float  # centre, in characters from the left of the widest level
    depth: int
    lines: tuple[str, str]
    colour: str
    hover: str


def _label(node, names: list[str], order: dict[int, int]) -> tuple[tuple[str, str], str, str]:
    if node.is_leaf:
        colour = PALETTE[order[node.cluster] % len(PALETTE)]
        return ((f"cluster {node.cluster}", f"{node.n:,} items"), colour,
                f"cluster {node.cluster}: {node.n:,} items reach this leaf")
    cut = f"{names[node.feature]} ≤ {number(node.threshold)}"
    return ((cut, f"{node.mistakes:,} cut off"), "#ffffff",
            f"{cut} goes left, the rest right; the cut separates {node.mistakes:,} items from their cluster")


def tidy_layout(root, names: list[str], clusters: list[int]) -> tuple[list[PlacedNode], list[tuple[int, int]]]:
    """Nodes placed (x in characters, depth in levels) and edges as (parent, child) indices into the nodes."""
    order = {c: i for i, c in enumerate(sorted(clusters))}
    nodes: list[PlacedNode] = []
    edges: list[tuple[int, int]] = []

    def walk(node, depth: int) -> tuple[int, list[int], list[tuple[float, float]]]:
        """Places ``node``'s subtree with ``node`` at x = 0: its index, its members' indices and its contour
        (the leftmost and rightmost box edge on each level from its own down)."""
        lines, colour, hover = _label(node, names, order)
        half = max(len(t) for t in lines) / 2 + 1
        nodes.append(PlacedNode(0.0, depth, lines, colour, hover))
        me = len(nodes) - 1
        if node.is_leaf:
            return me, [me], [(-half, half)]
        li, left_members, lc = walk(node.left, depth + 1)
        ri, right_members, rc = walk(node.right, depth + 1)
        shift = max(lc[i][1] + GAP_CHARS - rc[i][0] for i in range(min(len(lc), len(rc))))
        for i in left_members:
            nodes[i].x -= shift / 2
        for i in right_members:
            nodes[i].x += shift / 2
        contour = [(-half, half)]
        for i in range(max(len(lc), len(rc))):
            lo = lc[i][0] - shift / 2 if i < len(lc) else rc[i][0] + shift / 2
            hi = rc[i][1] + shift / 2 if i < len(rc) else lc[i][1] - shift / 2
            contour.append((lo, hi))
        edges.extend([(me, li), (me, ri)])
        return me, [me, *left_members, *right_members], contour

    _, _, contour = walk(root, 0)
    left = min(lo for lo, _ in contour)
    for n in nodes:
        n.x -= left
    return nodes, edges


def tree_figure(exp) -> go.Figure:
    """The threshold tree of the explanation ``exp``; ``<=`` goes left."""
    nodes, edges = tidy_layout(exp.tree.root, exp.feature_names, exp.tree.clusters)
    depth = max(n.depth for n in nodes)
    width = max(n.x + max(len(t) for t in n.lines) / 2 + 1 for n in nodes)
    pad = (BOX_PX / 2 + 4) / LEVEL_PX  # levels above the root's centre and below the deepest's
    half_box = BOX_PX / 2 / LEVEL_PX  # a box's half height, in levels
    stop = half_box + EDGE_GAP_PX / LEVEL_PX
    fig = go.Figure()
    ex, ey = [], []
    for p, c in edges:
        a, b = nodes[p], nodes[c]
        ex += [a.x, b.x, None]
        ey += [-a.depth - stop, -b.depth + stop, None]
    fig.add_trace(go.Scatter(x=ex, y=ey, mode="lines", line=dict(color="#999999", width=1), hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=[n.x for n in nodes], y=[-n.depth for n in nodes], mode="markers",
                             marker=dict(size=BOX_PX, opacity=0), hovertext=[n.hover for n in nodes],
                             hoverinfo="text"))
    font = 11 if width <= 100 else 10 if width <= 120 else 9  # a wide tree: smaller type, so its boxes keep apart
    for n in nodes:
        fig.add_annotation(x=n.x, y=-n.depth, text=f"{n.lines[0]}<br>{n.lines[1]}", showarrow=False, height=BOX_PX,
                           font=dict(size=font, color="#222222"), bgcolor=n.colour, bordercolor="#555555",
                           borderwidth=1, borderpad=2, align="center", valign="middle")
    fig.update_layout(title=dict(text="Threshold tree (left: ≤, right: >)", font=dict(size=14)), showlegend=False,
                      height=MARGIN["t"] + MARGIN["b"] + round(LEVEL_PX * (depth + 2 * pad)), margin=MARGIN,
                      plot_bgcolor="white", xaxis=dict(visible=False, range=[0, width], fixedrange=True),
                      yaxis=dict(visible=False, range=[-depth - pad, pad], fixedrange=True))
    return fig


def tree_panel(exp, space_text: str) -> None:
    """The tree tab: the drawing, or why there is none."""
    if exp is None:
        st.info("The tree describes two or more clusters; this clustering has fewer.")
        return
    st.caption(f"IMM's threshold tree over {space_text} (change it in the Rules tab): "
               "each inner node cuts one feature, each leaf is one cluster; “cut off” counts the items a cut "
               "separates from their own cluster. Hover a node for its reading.")
    st.plotly_chart(tree_figure(exp), width="stretch", key="cl-rules-tree", config={"displayModeBar": False})
