"""The standard normal CDF and its inverse that the market and Black-76 use instead of scipy's."""

from __future__ import annotations

from statistics import NormalDist

import numpy as np
import pytest
from scipy.special import ndtr, ndtri

from sandbox.market.noise import normals, uniforms
from sandbox.market.normal import cdf, inverse_cdf


@pytest.mark.parametrize(
    ("x", "probability"),
    [
        (0.0, 0.5),
        (1.0, 0.8413447460685429),
        (-1.0, 0.15865525393145707),
        (1.959963984540054, 0.975),
        (-3.0, 0.0013498980316300933),
        (-6.361340902404056, 1e-10),
    ],
)
def test_known_values(x, probability):
    assert float(cdf(x)) == pytest.approx(probability, rel=1e-14)
    assert float(inverse_cdf(probability)) == pytest.approx(x, rel=1e-14, abs=1e-300)


def test_cdf_matches_scipy_over_the_range_prices_use():
    x = np.linspace(-8.0, 8.0, 100_001)

    assert np.max(np.abs(cdf(x) - ndtr(x)) / ndtr(x)) < 1e-14


def test_inverse_matches_scipy_on_market_draws_and_far_tails():
    p = np.concatenate([uniforms(20240101, np.arange(200_000)), np.logspace(-300, -1, 500), 1 - np.logspace(-16, -1, 500)])

    assert np.max(np.abs(inverse_cdf(p) - ndtri(p)) / np.abs(ndtri(p))) < 1e-14


def test_inverse_is_bit_for_bit_the_standard_library_s_so_history_draws_never_change():
    # The central region is computed over the array; any difference in the order of operations shows here.
    p = np.concatenate([uniforms(99, np.arange(300_000)), [0.075, 0.925, 0.5 - 0.425, 0.5 + 0.425, 1e-300, 1 - 1e-16]])

    assert np.array_equal(inverse_cdf(p), [NormalDist().inv_cdf(value) for value in p])


def test_shapes_are_kept_and_a_draw_does_not_depend_on_the_batch():
    counters = np.arange(1_000, 1_100)

    assert cdf([[0.0, 1.0]]).shape == (1, 2)
    assert inverse_cdf(0.5).shape == ()
    assert normals(7, counters)[42] == normals(7, [counters[42]])[0]


def test_inverse_refuses_probabilities_outside_the_open_interval():
    with pytest.raises(ValueError):
        inverse_cdf([0.5, 1.0])
