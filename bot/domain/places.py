"""Where a thing is: a shared location must be a place on Earth, and may name the village.

A citizen who cannot read the list of 168 wards can share where they stand. When the
organisation file gives the centres of villages or communes (`lat`, `lon`), the nearest one
close enough is suggested; the person can still go back and choose another.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from bot.domain.org import Organisation, Point

EARTH_KM = 6371.0
VILLAGE_KM = 3.0  # a village centre farther than this is not where the person stands
COMMUNE_KM = 12.0  # a merged commune spans about 10 km; farther is another commune


@dataclass(frozen=True)
class Nearby:
    """The commune (and village, when one is near enough) a location falls in."""

    commune: str
    village: str | None


def on_the_map(latitude: float | None, longitude: float | None) -> bool:
    """A broken or forged location (out of range, NaN) would be kept on a petition as a place
    nobody can find."""
    return (
        latitude is not None
        and longitude is not None
        and -90 <= latitude <= 90
        and -180 <= longitude <= 180
    )


def distance_km(a: Point, b: Point) -> float:
    """The great-circle distance between two points, in kilometres."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2
    h += math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_KM * math.asin(min(1.0, math.sqrt(h)))


def nearby(org: Organisation, here: Point) -> Nearby | None:
    """The nearest village within `VILLAGE_KM`, or else the nearest commune within
    `COMMUNE_KM`, from the centres the organisation file gives; None when nothing is near."""
    villages = [(distance_km(here, a.centre), a) for a in org.areas.values() if a.centre]
    close = [(km, area) for km, area in villages if km <= VILLAGE_KM]
    if close:
        area = min(close, key=lambda found: found[0])[1]
        return Nearby(area.unit, area.code)
    communes = [(distance_km(here, u.centre), u) for u in org.communes() if u.centre]
    near = [(km, unit) for km, unit in communes if km <= COMMUNE_KM]
    if near:
        return Nearby(min(near, key=lambda found: found[0])[1].code, None)
    return None


def located(org: Organisation) -> bool:
    """Whether the organisation file gives any centre to find a place from."""
    return any(a.centre for a in org.areas.values()) or any(u.centre for u in org.communes())
