"""The soak's memory verdict: memory kept between two quiet points, not the high-water mark under traffic."""

from tools.soak import MIB, retained


def test_retained_memory_that_stays_put_is_flat_whatever_the_orders():
    verdict = retained({"rss_mb": 236.3, "orders": 5000}, {"rss_mb": 236.9, "orders": 10000})

    assert verdict["flat"] and verdict["growth"] == 0.0025
    assert verdict["bytes_per_order"] == round(0.6 * MIB / 5000)


def test_a_leak_above_the_smallest_the_run_can_tell_fails():
    middle = {"rss_mb": 240.0, "orders": 5000}
    smallest = retained(middle, {"rss_mb": 240.0, "orders": 7000})["fails_a_leak_of_bytes_per_order"]

    assert smallest == 1024 + 525  # 1 KB per order, and 1 MB over the 2,000 orders
    assert not retained(middle, {"rss_mb": 240.0 + smallest * 2000 / MIB, "orders": 7000})["flat"]
    assert retained(middle, {"rss_mb": 240.0 + (smallest - 2) * 2000 / MIB, "orders": 7000})["flat"]
