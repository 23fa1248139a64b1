"""The one question pages ask about availability: when is each of these doctors next free?

``home`` never imports ``booking`` (booking builds on the pages, not the other way round), yet the
doctors index filters by "free within N days" and sorts by "soonest available". So home declares
what it needs here and booking, which owns availability, plugs its answer in when the app loads
(``BookingConfig.ready``). Without a provider (home used on its own) those two options are
reported as unavailable rather than silently ignored.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from .models import DoctorPage


class FirstFreeTimes(Protocol):
    def __call__(self, doctors: Sequence[DoctorPage], *, within_days: int | None) -> dict[int, datetime | None]:
        """``{doctor pk: start of the first free slot, or None}`` in a fixed number of queries."""
        ...


_provider: FirstFreeTimes | None = None


def register_first_free_times(provider: FirstFreeTimes) -> None:
    global _provider
    _provider = provider


def first_free_times(
    doctors: Sequence[DoctorPage], *, within_days: int | None = None
) -> dict[int, datetime | None] | None:
    """Each doctor's first free time (None when none), or None when no provider is installed."""
    if _provider is None:
        return None
    return _provider(doctors, within_days=within_days)
