"""Plane geometry of area boundaries (GeoJSON Polygon / MultiPolygon, WGS-84 degrees).

A grid is a few hundred metres across, so treating longitude/latitude as plane coordinates is exact enough
for the questions asked here: is a ring simple, does a point or a ring lie inside another, do two overlap.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

Point = tuple[float, float]  # (lng, lat) as GeoJSON orders them
Ring = list[Point]


def polygons(geometry: dict[str, Any] | None) -> list[list[Ring]]:
    """Each polygon as its rings (exterior first), points as floats; [] for none."""
    if not geometry:
        return []
    coords = geometry.get("coordinates") or []
    items = [coords] if geometry.get("type") == "Polygon" else coords
    return [[[(float(p[0]), float(p[1])) for p in ring] for ring in polygon] for polygon in items]


def _edges(ring: Ring) -> Iterator[tuple[Point, Point]]:
    for i in range(len(ring) - 1):
        yield ring[i], ring[i + 1]


def _orient(a: Point, b: Point, c: Point) -> float:
    return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])


def _on_segment(a: Point, b: Point, c: Point) -> bool:
    return min(a[0], b[0]) <= c[0] <= max(a[0], b[0]) and min(a[1], b[1]) <= c[1] <= max(a[1], b[1])


def segments_cross(p1: Point, p2: Point, q1: Point, q2: Point) -> bool:
    """Do the closed segments p1p2 and q1q2 meet (touching counts)?"""
    d1, d2 = _orient(q1, q2, p1), _orient(q1, q2, p2)
    d3, d4 = _orient(p1, p2, q1), _orient(p1, p2, q2)
    if ((d1 > 0 > d2) or (d1 < 0 < d2)) and ((d3 > 0 > d4) or (d3 < 0 < d4)):
        return True
    return (
        (d1 == 0 and _on_segment(q1, q2, p1))
        or (d2 == 0 and _on_segment(q1, q2, p2))
        or (d3 == 0 and _on_segment(p1, p2, q1))
        or (d4 == 0 and _on_segment(p1, p2, q2))
    )


def self_intersects(ring: Ring) -> bool:
    """Does a closed ring cross or touch itself anywhere but where neighbouring edges share a point?"""
    edges = list(_edges(ring))
    n = len(edges)
    if len(set(ring[:-1])) < len(ring) - 1:
        return True  # a point visited twice
    for i in range(n):
        for j in range(i + 1, n):
            if j == i + 1 or (i == 0 and j == n - 1):
                continue  # neighbours share their end point
            if segments_cross(*edges[i], *edges[j]):
                return True
    return False


def area2(ring: Ring) -> float:
    return sum(a[0] * b[1] - b[0] * a[1] for a, b in _edges(ring))


def point_in_ring(point: Point, ring: Ring) -> bool:
    x, y = point
    inside = False
    for (x1, y1), (x2, y2) in _edges(ring):
        if (y1 > y) != (y2 > y) and x < (x2 - x1) * (y - y1) / (y2 - y1) + x1:
            inside = not inside
    return inside


def contains_point(geometry: dict[str, Any] | None, lng: float, lat: float) -> bool:
    for rings in polygons(geometry):
        if point_in_ring((lng, lat), rings[0]) and not any(
            point_in_ring((lng, lat), hole) for hole in rings[1:]
        ):
            return True
    return False


def _outer_edges(geometry: dict[str, Any] | None) -> list[tuple[Point, Point]]:
    return [e for rings in polygons(geometry) for ring in rings for e in _edges(ring)]


def inside(inner: dict[str, Any], outer: dict[str, Any]) -> bool:
    """Does `inner` lie within `outer`? Every vertex inside (a vertex on the edge counts, so a grid may share
    its community's border) and no edge of one crossing the interior of the other."""
    outer_edges = _outer_edges(outer)
    for rings in polygons(inner):
        for point in rings[0][:-1]:
            on_edge = any(_orient(a, b, point) == 0 and _on_segment(a, b, point) for a, b in outer_edges)
            if not on_edge and not contains_point(outer, *point):
                return False
        for a, b in _edges(rings[0]):
            middle = ((a[0] + b[0]) / 2, (a[1] + b[1]) / 2)
            on_edge = any(_orient(p, q, middle) == 0 and _on_segment(p, q, middle) for p, q in outer_edges)
            if not on_edge and not contains_point(outer, *middle):
                return False
    return True


def overlap(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Do two boundaries share more than a border? (Crossing edges, or a vertex strictly inside the other.)"""
    edges_a, edges_b = _outer_edges(a), _outer_edges(b)
    for p1, p2 in edges_a:
        for q1, q2 in edges_b:
            d = [_orient(q1, q2, p1), _orient(q1, q2, p2), _orient(p1, p2, q1), _orient(p1, p2, q2)]
            if ((d[0] > 0 > d[1]) or (d[0] < 0 < d[1])) and ((d[2] > 0 > d[3]) or (d[2] < 0 < d[3])):
                return True  # a proper crossing; shared borders only touch
    return any(_strictly_in(p, b, edges_b) for p in _probes(a)) or any(
        _strictly_in(p, a, edges_a) for p in _probes(b)
    )


def _probes(geometry: dict[str, Any]) -> list[Point]:
    """Vertices and edge midpoints of the exterior rings: a shape sliding along another's border has a
    midpoint inside it even when every vertex sits on the border."""
    found: list[Point] = []
    for rings in polygons(geometry):
        for a, b in _edges(rings[0]):
            found += [a, ((a[0] + b[0]) / 2, (a[1] + b[1]) / 2)]
    return found


def _strictly_in(point: Point, geometry: dict[str, Any], edges: Sequence[tuple[Point, Point]]) -> bool:
    if any(_orient(a, b, point) == 0 and _on_segment(a, b, point) for a, b in edges):
        return False
    return contains_point(geometry, *point)


def centre(geometry: dict[str, Any] | None) -> Point | None:
    """The mean of the first exterior ring's vertices: where a label or the area's point goes."""
    found = polygons(geometry)
    if not found:
        return None
    ring = found[0][0][:-1]
    return (sum(p[0] for p in ring) / len(ring), sum(p[1] for p in ring) / len(ring))
