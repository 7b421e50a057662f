"""The soak's memory verdict: memory kept between two quiet points, not the high-water mark under traffic."""

from tools.soak import MIB, retained


def test_retained_memory_that_stays_put_is_flat_whatever_the_orders():
    verdict = retained({"rss_mb": 236.3, "orders": 5000}, {"rss_mb": 236.9, "orders": 10000})

    assert verdict["flat"] and verdict["growth"] == 0.0025
    assert verdict["bytes_per_order"] == round(0.6 * MIB / 5000)


def test_a_leak_above_the_smallest_the_run_can_tell_fails():
    middle = {"rss_mb": 240.0, "orders": 5000}
    smallest = retained(middle, {"rss_mb": 240.0, "orders": 10000})["fails_a_leak_of_bytes_per_order"]
    leaking = {"rss_mb": 240.0 + smallest * 5000 / MIB, "orders": 10000}

    assert 400 < smallest < 600  # about half a kilobyte per order, for 5,000 orders on a 240 MB server
    assert not retained(middle, leaking)["flat"]
    assert retained(middle, {"rss_mb": 240.0 + (smallest - 2) * 5000 / MIB, "orders": 10000})["flat"]
