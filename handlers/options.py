"""Handlers of the `options` tag: option symbols, chains, synthetic futures and Greeks on the offline market."""

from gateway import options
from gateway.context import services
from generated.api import (
    MultiOptionGreeksRequest,
    OptionChainRequest,
    OptionGreeksRequest,
    OptionSymbolRequest,
    SyntheticFutureRequest,
)


async def optionsymbol(body: dict) -> tuple[dict, int]:
    request = OptionSymbolRequest.model_validate(body)
    found = options.option_symbol_for(
        services().market,
        underlying=request.underlying,
        exchange=request.exchange,
        expiry_date=request.expiry_date,
        offset=request.offset,
        option_type=request.option_type,
        strike_int=request.strike_int,
    )
    return found, 200


async def optionchain(body: dict) -> tuple[dict, int]:
    request = OptionChainRequest.model_validate(body)
    chain = options.option_chain(
        services().market,
        underlying=request.underlying,
        exchange=request.exchange,
        expiry_date=request.expiry_date,
        strike_count=request.strike_count,
        with_greeks=bool(request.with_greeks),
        interest_rate=request.interest_rate,
    )
    return chain, 200


async def syntheticfuture(body: dict) -> tuple[dict, int]:
    request = SyntheticFutureRequest.model_validate(body)
    found = options.synthetic_future(
        services().market, underlying=request.underlying, exchange=request.exchange, expiry_date=request.expiry_date
    )
    return found, 200


async def optiongreeks(body: dict) -> tuple[dict, int]:
    request = OptionGreeksRequest.model_validate(body)
    return options.option_greeks(services().market, **request.model_dump(exclude={"apikey"})), 200


async def multioptiongreeks(body: dict) -> tuple[dict, int]:
    request = MultiOptionGreeksRequest.model_validate(body)
    found = options.multi_option_greeks(
        services().market,
        [item.model_dump() for item in request.symbols],
        interest_rate=request.interest_rate,
        expiry_time=request.expiry_time,
    )
    return found, 200
