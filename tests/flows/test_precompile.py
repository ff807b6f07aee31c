"""flows/precompile.py warms numba's cache before a run's workers start: what it runs must
compile every kernel, with the argument types the stages then call them with (a kernel or a
signature it misses is compiled by every worker of the next cold run at once)."""

import json
import subprocess
import sys

# In a fresh process (no kernel compiled yet, whatever the cache holds): the signatures of
# every kernel after warm_up, then whatever the stages compile on a real shard beyond them.
SCRIPT = """
import importlib, json, pkgutil, sys
from pathlib import Path
from numba.core.dispatcher import Dispatcher
import cleaners
from cleaners.config import Config
from flows import precompile, stages
from flows.io import find_input_files, plan_shards

modules = [importlib.import_module(m.name)
           for m in pkgutil.walk_packages(cleaners.__path__, "cleaners.")]
kernels = {f"{m.__name__}.{name}": f for m in modules for name, f in vars(m).items()
           if isinstance(f, Dispatcher) and f.targetoptions.get("inline") != "always"}
precompile.main()
warm = {name: len(f.signatures) for name, f in kernels.items()}
work, jsonl = Path(sys.argv[1]), Path(sys.argv[2])
config = Config.load()
shard = plan_shards(find_input_files([jsonl]), 10_000)[0]
stages.clean(shard, config, str(work / "cleaned.parquet"), str(work / "frequency.parquet"))
stages.fingerprints(str(work / "cleaned.parquet"), config, str(work / "prints.parquet"))
stages.cluster([str(work / "prints.parquet")], config, str(work / "work"), None)
after = {name: len(f.signatures) for name, f in kernels.items()}
print(json.dumps({"warm": warm, "after": after}))
"""


def test_warm_up_compiles_every_kernel_the_stages_call(generated_site_corpus, tmp_path):
    docs, _ = generated_site_corpus
    jsonl = tmp_path / "docs.jsonl"
    jsonl.write_text("".join(json.dumps(d) + "\n" for d in docs), encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path), str(jsonl)], capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr[-3000:]
    found = json.loads(run.stdout.strip().splitlines()[-1])
    assert {k: n for k, n in found["after"].items() if n != found["warm"][k]} == {}
    # (a kernel called only from other kernels has no signature of its own: its callers'
    # compiled code holds it)
    assert sum(n > 0 for n in found["warm"].values()) >= 5  # the kernels were found at all
