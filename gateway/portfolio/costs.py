"""What buying and selling costs, as a fraction of the traded value on each side.

`indian_equity` adds up the statutory charges of a delivery trade on NSE or BSE (securities
transaction tax, exchange transaction charge, SEBI fee, stamp duty on the buy side, GST on the
brokerage and the exchange and SEBI charges) plus the broker's percentage; `flat_bps` is one number
of basis points a side. Slippage is added to either. `charges` replaces or adds components, each as
`{"buy": rate, "sell": rate}`.
"""

from __future__ import annotations

from dataclasses import dataclass

from generated.errors import ValidationFailed

# Delivery-trade rates as published by NSE, BSE, SEBI and the Indian Stamp Act (fractions of value).
STATUTORY = {
    "stt": {"buy": 0.001, "sell": 0.001},
    "stamp_duty": {"buy": 0.00015, "sell": 0.0},
    "sebi_fee": {"buy": 0.000001, "sell": 0.000001},
}
EXCHANGE_TRANSACTION = {"NSE": 0.0000297, "BSE": 0.0000375}
GST_RATE = 0.18
GST_BASE = ("brokerage", "exchange_transaction", "sebi_fee")  # GST applies to services, not to taxes
SIDES = ("buy", "sell")


@dataclass(frozen=True, slots=True)
class CostModel:
    buy: float  # fraction of the value bought
    sell: float  # fraction of the value sold
    components: dict[str, dict[str, float]]

    def as_dict(self) -> dict:
        return {"buy_rate": round(self.buy, 8), "sell_rate": round(self.sell, 8), "components": self.components}


def cost_model(
    *,
    model: str = "indian_equity",
    brokerage_pct: float = 0.0,
    cost_exchange: str = "NSE",
    charges: dict[str, dict[str, float]] | None = None,
    gst_rate: float | None = None,
    cost_bps: float = 0.0,
    slippage: float = 0.0,
    brokerage_flat_rate: float = 0.0,
) -> CostModel:
    """The per-side rates of a request's cost fields (`brokerage_flat_rate` is a flat fee over the trade value)."""
    if model == "flat_bps":
        components = {"flat": {side: cost_bps / 10_000 for side in SIDES}}
    else:
        components = {
            "brokerage": {side: brokerage_pct + brokerage_flat_rate for side in SIDES},
            **{name: dict(rates) for name, rates in STATUTORY.items()},
            "exchange_transaction": dict.fromkeys(SIDES, EXCHANGE_TRANSACTION[cost_exchange]),
        }
        for name, rates in (charges or {}).items():
            unknown = set(rates) - set(SIDES)
            if unknown or not all(0.0 <= rate <= 0.1 for rate in rates.values()):
                raise ValidationFailed(
                    f"charges.{name} takes buy and sell rates between 0 and 0.1", field=f"charges.{name}"
                )
            components[name] = {side: float(rates.get(side, 0.0)) for side in SIDES}
        gst = GST_RATE if gst_rate is None else gst_rate
        components["gst"] = {
            side: gst * sum(components[part][side] for part in GST_BASE if part in components) for side in SIDES
        }
    if slippage:
        components["slippage"] = dict.fromkeys(SIDES, slippage)
    rounded = {name: {side: round(rate, 10) for side, rate in rates.items()} for name, rates in components.items()}
    return CostModel(
        buy=sum(rates["buy"] for rates in components.values()),
        sell=sum(rates["sell"] for rates in components.values()),
        components=rounded,
    )
