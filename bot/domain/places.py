"""Where a thing is: a shared location must be a place on Earth."""

from __future__ import annotations


def on_the_map(latitude: float | None, longitude: float | None) -> bool:
    """A broken or forged location (out of range, NaN) would be kept on a petition as a place
    nobody can find."""
    return (
        latitude is not None
        and longitude is not None
        and -90 <= latitude <= 90
        and -180 <= longitude <= 180
    )
