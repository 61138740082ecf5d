import gc

from portalgraph import collector


def test_tune_freezes_the_heap_and_spaces_the_young_collections() -> None:
    before = gc.get_threshold()
    try:
        collector.tune()
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold() == (collector.YOUNG_THRESHOLD, *before[1:])
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
