"""Handlers of the `analytics` tag: gamma exposure, IV smile, OI tracker with max pain, volatility surface."""

from gateway import optionsanalytics
from gateway.context import services
from generated.api import AnalyticsChainRequest, VolSurfaceRequest


def _snapshot(body: dict) -> optionsanalytics.ChainSnapshot:
    request = AnalyticsChainRequest.model_validate(body)
    found = services()
    return optionsanalytics.cached_snapshot(
        found.market, found.analytics_cache, **request.model_dump(exclude={"apikey"})
    )


async def gex(body: dict) -> tuple[dict, int]:
    return optionsanalytics.gamma_exposure(_snapshot(body)), 200


async def ivsmile(body: dict) -> tuple[dict, int]:
    return optionsanalytics.iv_smile(_snapshot(body)), 200


async def oitracker(body: dict) -> tuple[dict, int]:
    return optionsanalytics.oi_tracker(services().market, _snapshot(body)), 200


async def volsurface(body: dict) -> tuple[dict, int]:
    request = VolSurfaceRequest.model_validate(body)
    found = services()
    surface = optionsanalytics.volatility_surface(
        found.market, found.analytics_cache, **request.model_dump(exclude={"apikey"})
    )
    return surface, 200
