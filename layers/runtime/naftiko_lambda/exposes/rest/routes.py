"""The REST operation table of a capability and a segment matcher over it (pure).

Matching splits the path on ``/`` and compares segments, literal before placeholder, so that
building the table for the 60 routes of the m3ter spec compiles no regular expression (Starlette
compiles one per route: ~30 ms of a cold start). ``/bills/{id}`` beside ``/bills/latest`` picks
the literal one, as API Gateway does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ...capability.model import Auth, Capability, ExposedOperation, Input
from ...capability.templates import route_path


@dataclass(frozen=True, slots=True)
class RestEntry:
    """One REST operation as served: what to read from the request, what to call."""

    operation: ExposedOperation
    auth: Auth | None  # the inbound authentication of the rest block it belongs to

    @property
    def inputs(self) -> tuple[Input, ...]:
        return self.operation.inputs


@dataclass(frozen=True, slots=True)
class Route:
    path: str
    segments: tuple[str | None, ...]  # None where a placeholder stands
    names: tuple[str, ...]  # placeholder names, in order
    methods: Mapping[str, RestEntry]


def _segments(path: str) -> tuple[tuple[str | None, ...], tuple[str, ...]]:
    segments: list[str | None] = []
    names: list[str] = []
    for part in path.strip("/").split("/") if path != "/" else []:
        if part.startswith("{") and part.endswith("}") and part.count("{") == 1:
            segments.append(None)
            names.append(part[1:-1])
        else:
            segments.append(part)
    return tuple(segments), tuple(names)


class Router:
    """Route table: ``match(path)`` -> (route, path params) or None."""

    def __init__(self, capability: Capability) -> None:
        grouped: dict[str, dict[str, RestEntry]] = {}
        for block in capability.rest:
            for operation in block.operations:
                methods = grouped.setdefault(route_path(operation.path), {})
                methods.setdefault(operation.method, RestEntry(operation, block.auth))
        self.routes: list[Route] = []
        self._by_length: dict[int, list[Route]] = {}
        for path, methods in grouped.items():
            segments, names = _segments(path)
            route = Route(path, segments, names, methods)
            self.routes.append(route)
            self._by_length.setdefault(len(segments), []).append(route)
        for routes in self._by_length.values():
            # More literal segments first, earlier literals first: the most specific route wins.
            routes.sort(key=lambda r: tuple(s is None for s in r.segments))

    def match(self, path: str) -> tuple[Route, dict[str, str]] | None:
        parts = path.strip("/").split("/") if path.strip("/") else []
        for route in self._by_length.get(len(parts), ()):
            values = []
            for expected, actual in zip(route.segments, parts, strict=True):
                if expected is None:
                    if actual == "":
                        break
                    values.append(actual)
                elif expected != actual:
                    break
            else:
                return route, dict(zip(route.names, values, strict=True))
        return None
