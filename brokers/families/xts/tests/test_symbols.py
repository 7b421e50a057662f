"""The XTS master's `|` rows become unified rows from their columns."""

from __future__ import annotations

from brokers.families.xts.symbols import parse_master, record_from_upstream

EQUITY = (
    "NSECM|2885|8|RELIANCE|RELIANCE-EQ|EQ|RELIANCE-EQ|288500|2600|2100|0|0.05|1|1|RELIANCE|INE002A01018|1|1|RELIANCE-EQ"
)
INDEX = "NSECM|26000|8|NIFTY 50|NIFTY 50|INDEX|NIFTY 50-INDEX|2600000|0|0|0|0.05|1|1|NIFTY 50|INE000000001|1|1|NIFTY 50"
OPTION = (
    "NSEFO|35001|2|NIFTY|NIFTY2412526000CE|OPTIDX|NIFTY-OPTIDX|3500100|0|0|1800|0.05|25|1|0|NIFTY|"
    "2024-12-05T14:30:00|26000|3|NIFTY 05DEC2024 CE 26000|1|1|NIFTY2412526000CE"
)
FUTURE = (
    "MCXFO|4011|2|CRUDEOIL|CRUDEOIL24DECFUT|FUTCOM|CRUDEOIL-FUTCOM|401100|0|0|0|1|100|1|0|CRUDEOIL|"
    "2024-12-18T23:30:00|0|1|CRUDEOIL 18DEC2024|1|1|CRUDEOIL24DECFUT"
)


def test_weekly_option_row_takes_its_unified_name_from_the_columns_not_the_description():
    row = record_from_upstream(OPTION)

    assert (row.exchange, row.symbol) == ("NFO", "NIFTY05DEC2426000CE")
    assert (row.brexchange, row.brsymbol, row.token) == ("NSEFO", "NIFTY2412526000CE", "35001")
    assert (row.expiry, row.strike, row.lotsize, row.instrumenttype) == ("05-DEC-24", 26000.0, 25, "CE")


def test_cash_index_and_commodity_future_rows_map_to_their_unified_exchanges():
    rows = {row.symbol: row for row in parse_master("\n".join([EQUITY, INDEX, FUTURE]))}

    assert (rows["RELIANCE"].exchange, rows["RELIANCE"].brsymbol) == ("NSE", "RELIANCE-EQ")
    assert (rows["NIFTY"].exchange, rows["NIFTY"].instrumenttype, rows["NIFTY"].brsymbol) == (
        "NSE_INDEX",
        "INDEX",
        "NIFTY 50",
    )
    assert (rows["CRUDEOIL18DEC24FUT"].exchange, rows["CRUDEOIL18DEC24FUT"].strike) == ("MCX", -1.0)


def test_a_series_without_a_unified_name_and_a_short_row_are_skipped():
    bond = EQUITY.replace("|EQ|", "|GB|")

    assert parse_master("\n".join([bond, "NSECM|1|8", ""])) == []
