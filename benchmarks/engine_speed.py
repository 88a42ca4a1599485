"""Decode speed of one engine setting on real bestofn requests, side by side.

Sends the same requests the solve loop sends (HumanEval/0..K-1, chat prompt, S
samples each with their own seeds, stopped at the code's end) to one engine
setting, all at once, and prints wall time, generated tokens and tokens/s
(generated tokens over wall time from the first submit to the last completion;
the engine's start is timed apart). Run one setting per process, nothing else
running:

    .venv/bin/python benchmarks/engine_speed.py --engine llamacpp --model qwen2.5-coder-0.5b --slots 16
    .venv/bin/python benchmarks/engine_speed.py --engine vllm --model qwen2.5-coder-0.5b
    .venv/bin/python benchmarks/engine_speed.py --engine llamacpp --model qwen2.5-coder-1.5b --gguf FILE
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from sampler.backends.base import StreamingBackend
from sampler.config import EngineConfig, SampleConfig
from sampler.core.prompting import build_request
from tasks.registry import select_tasks


def _backend(args: argparse.Namespace) -> StreamingBackend:
    if args.engine == "llamacpp":
        from sampler.backends.llamacpp import LlamaCppBackend, LlamaCppConfig
        from sampler.models import packaged_gguf_file

        config = LlamaCppConfig(slots=args.slots, threads=args.threads,
                                context_per_slot=args.context_per_slot,
                                extra_args=tuple(args.server_arg or ()))
        gguf = Path(args.gguf) if args.gguf else packaged_gguf_file(args.model)
        return LlamaCppBackend(args.model, gguf, config,
                               Path(args.log_dir) / f"engine-speed-{args.model}.log")
    from sampler.backends.vllm import VllmBackend
    from sampler.models import resolve_model

    resolved = resolve_model(args.model)
    return VllmBackend(args.model, resolved.path, EngineConfig(dtype=args.dtype))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engine", choices=["llamacpp", "vllm"], required=True)
    parser.add_argument("--model", default="qwen2.5-coder-0.5b")
    parser.add_argument("--tasks", type=int, default=16)
    parser.add_argument("--samples", type=int, default=2, help="samples per task")
    parser.add_argument("--max-tokens", type=int, default=512)
    parser.add_argument("--slots", type=int, default=16, help="llama.cpp: parallel slots")
    parser.add_argument("--threads", type=int, help="llama.cpp: threads (default: all cores)")
    parser.add_argument("--context-per-slot", type=int, default=2048)
    parser.add_argument("--server-arg", action="append", help="llama.cpp: extra server argument")
    parser.add_argument("--gguf", help="llama.cpp: serve this GGUF file instead of the model's packaged one "
                        "(a re-encoding under test)")
    parser.add_argument("--dtype", default="auto", help="vLLM: dtype")
    parser.add_argument("--log-dir", default="runs/engine-speed")
    args = parser.parse_args()

    tasks = select_tasks(None, suite="humaneval", limit=args.tasks)
    config = SampleConfig(max_tokens=args.max_tokens)
    requests = [build_request(t, config, index=i) for t in tasks for i in range(args.samples)]
    started = time.monotonic()
    backend = _backend(args)
    start_s = time.monotonic() - started
    try:
        t0 = time.monotonic()
        backend.submit(requests)
        generations = []
        while backend.in_flight():
            generations.extend(backend.poll(1.0))
        wall = time.monotonic() - t0
    finally:
        backend.close()
    tokens = sum(c.tokens for g in generations for c in g.completions)
    prompt = sum(g.prompt_tokens for g in generations)
    setting = (f"slots={args.slots} threads={args.threads or 'all'}{' gguf=' + args.gguf if args.gguf else ''}"
               if args.engine == "llamacpp"
               else f"dtype={args.dtype}")
    print(f"{args.engine} {args.model} [{setting}]: {len(requests)} requests "
          f"({args.tasks} tasks x {args.samples}), {tokens} generated tokens, {prompt} prompt tokens, "
          f"{wall:.1f} s -> {tokens / wall:.1f} generated tokens/s; engine start {start_s:.1f} s",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
