"""From a picture of a digit back to pen paths: thinning, then tracing the skeleton into polylines.

1. `thin`: Zhang–Suen thinning (1984), vectorised over a batch of binary images, reduces every
   ink region to a one-pixel-wide skeleton that keeps its topology (loops stay loops).
2. `trace`: the skeleton as a graph. Pixels are linked by m-adjacency (a diagonal link only
   when no 4-connected path of two steps exists), so staircases are simple chains and only
   real branch points have three or more neighbours. Chains between end points and branch
   points become edges; touching branch pixels form one junction; short spurs (thinning's
   artefacts at stroke corners) are pruned. At each junction the edges are paired by the
   straightest continuation, the way a pen passes through a crossing, and paired edges are
   joined into one stroke.
3. `simplify`: Ramer–Douglas–Peucker keeps the corners and drops the pixel staircase.

Nothing here knows MNIST: it takes any binary images.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

import numpy as np

Pixel = tuple[int, int]  # (row, column)


# -- thinning ------------------------------------------------------------------------------------


def thin(images: np.ndarray) -> np.ndarray:
    """Zhang–Suen skeletons of a batch of binary images (N, H, W) bool; a new array."""
    skeleton = np.array(images, dtype=bool, copy=True)
    active = np.arange(len(skeleton))  # only images that still change are worked on
    while len(active):
        changed = np.zeros(len(active), bool)
        for step in (0, 1):
            current = skeleton[active]
            delete = _deletable(current, step)
            changed |= delete.any(axis=(1, 2))
            current &= ~delete
            skeleton[active] = current
        active = active[changed]
    return skeleton


def _deletable(images: np.ndarray, step: int) -> np.ndarray:
    """The pixels one Zhang–Suen sub-iteration removes."""
    padded = np.pad(images, ((0, 0), (1, 1), (1, 1)))
    # P2…P9: north, then clockwise around the pixel.
    p2, p3, p4, p5 = padded[:, :-2, 1:-1], padded[:, :-2, 2:], padded[:, 1:-1, 2:], padded[:, 2:, 2:]
    p6, p7, p8, p9 = padded[:, 2:, 1:-1], padded[:, 2:, :-2], padded[:, 1:-1, :-2], padded[:, :-2, :-2]
    ring = (p2, p3, p4, p5, p6, p7, p8, p9)
    neighbours = sum(p.astype(np.uint8) for p in ring)
    transitions = sum((~a & b).astype(np.uint8) for a, b in zip(ring, ring[1:] + ring[:1]))
    if step == 0:
        sides = ~(p2 & p4 & p6) & ~(p4 & p6 & p8)
    else:
        sides = ~(p2 & p4 & p8) & ~(p2 & p6 & p8)
    return images & (neighbours >= 2) & (neighbours <= 6) & (transitions == 1) & sides


# -- tracing -------------------------------------------------------------------------------------

_FOUR = ((-1, 0), (0, 1), (1, 0), (0, -1))
_DIAGONAL = ((-1, 1), (1, 1), (1, -1), (-1, -1))


def trace(skeleton: np.ndarray, spur_length: float = 4.0, reach: float = 6.0) -> list[np.ndarray]:
    """Polylines (k, 2) of (x, y) pixel coordinates (pixel centres at integers) along a skeleton.

    `spur_length`: branches from an end point to a junction shorter than this (pixels) are
    dropped. `reach`: how far along each edge its direction at a junction is measured.
    """
    pixels = {(int(r), int(c)) for r, c in zip(*np.nonzero(skeleton))}
    if not pixels:
        return []
    neighbours = {p: _m_neighbours(p, pixels) for p in pixels}
    graph = _Graph.from_pixels(neighbours)
    graph.prune_spurs(spur_length)
    strokes = graph.strokes(reach)
    return [np.array([(c, r) for r, c in stroke], np.float64) for stroke in strokes]


def _m_neighbours(pixel: Pixel, pixels: set[Pixel]) -> list[Pixel]:
    r, c = pixel
    found = [(r + dr, c + dc) for dr, dc in _FOUR if (r + dr, c + dc) in pixels]
    for dr, dc in _DIAGONAL:
        # A diagonal step only where the two pixels it cuts between are both empty.
        if (r + dr, c + dc) in pixels and (r + dr, c) not in pixels and (r, c + dc) not in pixels:
            found.append((r + dr, c + dc))
    return found


class _Graph:
    """Skeleton edges between nodes (end points and junctions), as pixel paths."""

    def __init__(self) -> None:
        self.edges: dict[int, list[Pixel]] = {}  # edge id → pixel path, node pixel to node pixel
        self.ends: dict[int, tuple[object, object]] = {}  # edge id → (node at path start, node at path end)
        self.centres: dict[object, np.ndarray] = {}  # junction → mean (row, column) of its pixels
        self._next = 0

    @classmethod
    def from_pixels(cls, neighbours: dict[Pixel, list[Pixel]]) -> _Graph:
        graph = cls()
        junction_of = graph._junctions(neighbours)

        def node(pixel: Pixel) -> object:
            return junction_of.get(pixel, pixel)

        is_node = {p for p, n in neighbours.items() if len(n) != 2}
        walked: set[tuple[Pixel, Pixel]] = set()
        for start in sorted(is_node):
            for first in neighbours[start]:
                if (start, first) in walked:
                    continue
                path = [start, first]
                while path[-1] not in is_node:
                    here, before = path[-1], path[-2]
                    path.append(next(p for p in neighbours[here] if p != before))
                    if path[-1] == start:  # cannot happen between nodes, but never loop forever
                        break
                walked.add((path[0], path[1]))
                walked.add((path[-1], path[-2]))
                if node(path[0]) == node(path[-1]) and all(p in junction_of for p in path):
                    continue  # a link inside one junction
                graph._add(path, node(path[0]), node(path[-1]))
        # Closed loops without any node (a 0): start anywhere, walk round once.
        on_edge = {p for path in graph.edges.values() for p in path}
        for pixel in sorted(set(neighbours) - on_edge - is_node):
            if pixel in on_edge:
                continue
            path = [pixel, neighbours[pixel][0]]
            while path[-1] != pixel:
                here, before = path[-1], path[-2]
                path.append(next(p for p in neighbours[here] if p != before))
            on_edge.update(path)
            graph._add(path, None, None)
        # Isolated pixels (a dot) are strokes of one point.
        for pixel in sorted(p for p in is_node if not neighbours[p]):
            graph._add([pixel], pixel, pixel)
        return graph

    def _junctions(self, neighbours: dict[Pixel, list[Pixel]]) -> dict[Pixel, object]:
        """Branch pixels (3+ neighbours), grouped with touching ones into one junction each."""
        branch = {p for p, n in neighbours.items() if len(n) >= 3}
        junction_of: dict[Pixel, object] = {}
        for seed in sorted(branch):
            if seed in junction_of:
                continue
            name = ("junction", seed)
            group, todo = [], [seed]
            junction_of[seed] = name
            while todo:
                pixel = todo.pop()
                group.append(pixel)
                for other in neighbours[pixel]:
                    if other in branch and other not in junction_of:
                        junction_of[other] = name
                        todo.append(other)
            self.centres[name] = np.mean(group, axis=0)
        return junction_of

    def _add(self, path: list[Pixel], start: object, end: object) -> None:
        self.edges[self._next] = path
        self.ends[self._next] = (start, end)
        self._next += 1

    def _incident(self) -> dict[object, list[tuple[int, int]]]:
        """Junction → its edge ends as (edge id, 0 for the path's start or 1 for its end)."""
        incident: dict[object, list[tuple[int, int]]] = defaultdict(list)
        for edge, ends in self.ends.items():
            for side, node in enumerate(ends):
                if node in self.centres:
                    incident[node].append((edge, side))
        return incident

    def prune_spurs(self, spur_length: float) -> None:
        """Drop short branches that end free at one side and at a junction of 3+ edges at the other."""
        while True:
            incident = self._incident()
            spurs = [edge for edge, (a, b) in self.ends.items()
                     if (a in self.centres) != (b in self.centres)
                     and len(incident[a if a in self.centres else b]) >= 3
                     and _length(self.edges[edge]) < spur_length]
            if not spurs:
                return
            # The shortest first, one at a time: two spurs of one junction must not both go.
            shortest = min(spurs, key=lambda e: (_length(self.edges[e]), e))
            junction = next(n for n in self.ends[shortest] if n in self.centres)
            del self.edges[shortest], self.ends[shortest]
            self._merge_through(junction)

    def _merge_through(self, junction: object) -> None:
        """A junction left with two edge ends is no junction: join those edges into one."""
        ends = self._incident().get(junction, [])
        if len(ends) != 2:
            return
        (first, first_side), (second, second_side) = ends
        if first == second:  # a loop hanging on the junction: it becomes a free cycle
            self.ends[first] = (None, None)
            return
        a = self.edges[first] if first_side == 1 else self.edges[first][::-1]  # ends at the junction
        b = self.edges[second] if second_side == 0 else self.edges[second][::-1]  # starts there
        start = self.ends[first][1 - first_side]
        end = self.ends[second][1 - second_side]
        del self.edges[first], self.ends[first], self.edges[second], self.ends[second]
        self._add(a + b[1:] if a[-1] == b[0] else a + b, start, end)

    def strokes(self, reach: float) -> list[list[Pixel]]:
        """Edges joined through junctions where one continues another most straightly."""
        partner: dict[tuple[int, int], tuple[int, int]] = {}
        for junction, ends in sorted(self._incident().items(), key=lambda item: str(item[0])):
            directions = {end: self._direction(end, junction, reach) for end in ends}
            pairs = sorted(
                ((float(directions[a] @ directions[b]), a, b)
                 for i, a in enumerate(ends) for b in ends[i + 1:]),
            )
            for straightness, a, b in pairs:
                # Opposite directions (dot −1) are a straight pass; beyond ~110° apart still passes.
                if straightness > -0.35:
                    break
                if a not in partner and b not in partner:
                    partner[a], partner[b] = b, a
        used: set[int] = set()
        strokes = []
        # Start from ends without a partner (free ends first), then whatever is left is a cycle.
        starts = [(edge, side) for edge in sorted(self.edges) for side in (0, 1) if (edge, side) not in partner]
        starts += [(edge, 0) for edge in sorted(self.edges)]
        for edge, side in starts:
            if edge in used:
                continue
            stroke: list[Pixel] = []
            while edge not in used:
                used.add(edge)
                path = self.edges[edge] if side == 0 else self.edges[edge][::-1]
                stroke.extend(path if not stroke or stroke[-1] != path[0] else path[1:])
                leaving = (edge, 1 - side)
                if leaving not in partner:
                    break
                edge, side = partner[leaving]
            strokes.append(stroke)
        return strokes

    def _direction(self, end: tuple[int, int], junction: object, reach: float) -> np.ndarray:
        """Unit vector from the junction out along the edge, measured `reach` pixels away."""
        edge, side = end
        path = self.edges[edge] if side == 0 else self.edges[edge][::-1]
        points = np.asarray(path, np.float64)
        distance = np.hypot(*(points - self.centres[junction]).T)
        beyond = np.flatnonzero(distance >= reach)
        target = points[beyond[0]] if len(beyond) else points[-1]
        vector = target - self.centres[junction]
        norm = np.hypot(*vector)
        return vector / norm if norm > 0 else vector


def _length(path: list[Pixel]) -> float:
    if len(path) < 2:
        return 0.0
    return float(np.hypot(*np.diff(np.asarray(path, np.float64), axis=0).T).sum())


# -- simplification ------------------------------------------------------------------------------


def simplify(polyline: np.ndarray, tolerance: float) -> np.ndarray:
    """Ramer–Douglas–Peucker: the fewest points within `tolerance` of the original polyline."""
    if len(polyline) < 3:
        return polyline
    keep = np.zeros(len(polyline), bool)
    keep[[0, -1]] = True
    if np.allclose(polyline[0], polyline[-1]):  # a closed loop: split it at its farthest point
        far = int(np.argmax(np.hypot(*(polyline - polyline[0]).T)))
        keep[far] = True
        spans = [(0, far), (far, len(polyline) - 1)]
    else:
        spans = [(0, len(polyline) - 1)]
    for first, last in _rdp_spans(polyline, spans, tolerance):
        keep[first] = keep[last] = True
    return polyline[keep]


def _rdp_spans(polyline: np.ndarray, spans: list[tuple[int, int]], tolerance: float) -> Iterator[tuple[int, int]]:
    """The spans (first, last) RDP ends with; iterative, so long paths cannot overflow the stack."""
    todo = list(spans)
    while todo:
        first, last = todo.pop()
        if last - first < 2:
            yield first, last
            continue
        a, b = polyline[first], polyline[last]
        inner = polyline[first + 1 : last]
        direction = b - a
        length = np.hypot(*direction)
        if length > 0:
            distance = np.abs(direction[0] * (inner[:, 1] - a[1]) - direction[1] * (inner[:, 0] - a[0])) / length
        else:
            distance = np.hypot(*(inner - a).T)
        worst = int(np.argmax(distance))
        if distance[worst] > tolerance:
            split = first + 1 + worst
            todo += [(first, split), (split, last)]
        else:
            yield first, last
