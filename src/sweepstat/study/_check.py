"""Everything a study can be refused for is checked before its store is touched."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sweepstat.spec._study import Configuration


def check_configurations(configs: Sequence[Configuration], cache_dir: Path) -> None:
    """Prepare every data set of the study (building its cache) and build every distinct model once.

    Raises the user errors a worker would otherwise meet on its first run (a missing file, a head that
    does not fit the data, an evaluation split the data lacks), so that a bad study writes nothing.
    """
    from sweepstat.data import prepare
    from sweepstat.engine import build_for_data, check_data, evaluation_split

    prepared = {}
    built: set[str] = set()
    for config in configs:
        key = config.data.model_dump_json()
        if key not in prepared:
            prepared[key] = prepare(config.data, cache_dir)
            check_data(prepared[key])
        data = prepared[key]
        evaluation_split(config.train, data)
        model_key = key + config.model.model_dump_json()
        if model_key not in built:
            built.add(model_key)
            build_for_data(config.model, data, [0])
