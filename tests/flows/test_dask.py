"""--dask-address: the same tasks on a Dask cluster give the same output as one process."""

import shutil

import pyarrow.parquet as pq
import pytest

from flows.cli import main
from tests.conftest import SEEDS

pytestmark = pytest.mark.usefixtures("prefect_harness")


def rows(folder):
    return pq.read_table(folder).to_pylist()


def test_two_dask_workers_give_the_single_process_output(tmp_path):
    from distributed import LocalCluster

    inputs = tmp_path / "in"
    shutil.copytree(SEEDS, inputs)
    (inputs / "copy.txt").write_text((SEEDS / "003_4d652d46133cfe88.txt").read_text().upper())
    single, on_dask = tmp_path / "single", tmp_path / "dask"
    common = ["--shard-size", "2", "--quiet"]
    assert main(["run", str(inputs), "--out", str(single), "--workers", "1", *common]) == 0
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        address = cluster.scheduler_address
        assert (
            main(["run", str(inputs), "--out", str(on_dask), "--dask-address", address, *common])
            == 0
        )
    for folder in ("corpus", "rejected"):
        assert rows(on_dask / folder) == rows(single / folder)
    assert len(rows(single / "rejected")) == 1  # the copy: there was something to agree on
