#!/usr/bin/env bash
# Builds llama.cpp's OpenAI-compatible server (llama-server) into $1, once: the
# packaged Qwen GGUF models are served by it (faster than vLLM's CPU build here,
# measured in docs/ENGINES.md). The source is the llama.cpp that PyPI's
# llama-cpp-python sdist vendors, pinned below; nothing else is downloaded.
# Tuned for the machine it builds on (GGML_NATIVE); about 10 minutes on 2 cores.
set -euo pipefail
TARGET="$(realpath -m "${1:?usage: build_llama_server.sh OUT_BINARY}")"
VERSION=0.3.36
STAMP="$TARGET.source"
if [ -x "$TARGET" ] && [ "$(cat "$STAMP" 2>/dev/null)" = "llama-cpp-python==$VERSION" ]; then
  exit 0
fi
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
PY="${PYTHON:-python3}"
[ -x "$(dirname "$TARGET")/python" ] && PY="$(dirname "$TARGET")/python"
"$PY" -m pip download -q --disable-pip-version-check --no-deps --no-binary :all: \
  -d "$WORK" "llama-cpp-python==$VERSION"
tar -xzf "$WORK"/llama_cpp_python-"$VERSION".tar.gz -C "$WORK"
SRC="$WORK/llama_cpp_python-$VERSION/vendor/llama.cpp"
echo "bestofn: building llama-server from llama-cpp-python $VERSION's llama.cpp (once, ~10 min)" >&2
cmake -S "$SRC" -B "$WORK/build" -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=ON -DLLAMA_CURL=OFF \
  -DLLAMA_OPENSSL=OFF -DBUILD_SHARED_LIBS=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF \
  -DLLAMA_BUILD_SERVER=ON > "$WORK/cmake.log" 2>&1 || { tail -20 "$WORK/cmake.log" >&2; exit 1; }
cmake --build "$WORK/build" --target llama-server -j "$(nproc)" > "$WORK/build.log" 2>&1 \
  || { tail -40 "$WORK/build.log" >&2; exit 1; }
mkdir -p "$(dirname "$TARGET")"
install -m 0755 "$WORK/build/bin/llama-server" "$TARGET.tmp"
mv "$TARGET.tmp" "$TARGET"
echo "llama-cpp-python==$VERSION" > "$STAMP"
