"""Kite's instruments file becomes unified rows, built from its columns rather than its spellings."""

from __future__ import annotations

from brokers.zerodha.symbols import SymbolBook, parse_master


def test_weekly_and_monthly_options_get_unified_names(book):
    weekly = book.from_upstream("NFO", "NIFTY2412526000CE")
    monthly = book.from_upstream("NFO", "NIFTY24DEC26000PE")

    assert (weekly.symbol, weekly.expiry, weekly.strike) == ("NIFTY05DEC2426000CE", "05-DEC-24", 26000.0)
    assert monthly.symbol == "NIFTY26DEC2426000PE" and monthly.instrumenttype == "PE"


def test_a_future_and_an_equity_map_both_ways(book):
    future = book.to_upstream("NFO", "NIFTY26DEC24FUT")

    assert (future.brsymbol, future.token, future.lotsize) == ("NIFTY24DECFUT", "13238786", 25)
    assert book.to_upstream("NSE", "INFY").brsymbol == "INFY"


def test_indices_move_to_their_own_exchanges_with_openalgo_names(book):
    nifty, sensex = book.to_upstream("NSE_INDEX", "NIFTY"), book.to_upstream("BSE_INDEX", "SENSEX")

    assert (nifty.brexchange, nifty.brsymbol, nifty.instrumenttype) == ("NSE", "NIFTY 50", "INDEX")
    assert sensex.brexchange == "BSE"


def test_a_decimal_strike_keeps_its_decimals(book):
    assert book.from_upstream("CDS", "USDINR24DEC83.5CE").symbol == "USDINR27DEC2483.5CE"


def test_the_book_finds_rows_by_token(book):
    assert book.by_token(256265).symbol == "NIFTY"


def test_rows_of_a_type_without_a_unified_name_are_skipped():
    header = "instrument_token,exchange_token,tradingsymbol,name,last_price,expiry,strike,tick_size,lot_size,instrument_type,segment,exchange\n"
    text = header + "1,1,INF200K01RJ1,SBI MF,0,,0,0.001,1,MF,MF,MF\n408065,1594,INFY,INFOSYS,0,,0,0.05,1,EQ,NSE,NSE\n"

    assert [row.symbol for row in parse_master(text)] == ["INFY"]


async def test_every_simulated_instrument_round_trips_through_the_plugin(simulator):
    plugin, account = simulator.plugin(), simulator.issue_session()

    book = SymbolBook(await plugin.symbol_master(account))

    unified = {(row.exchange, row.symbol) for row in book.records}
    assert unified == {(instrument.exchange, instrument.symbol) for instrument in simulator.market.master.all()}
