#!/usr/bin/env python3
"""Writes the benchmark store (scripts/bench runs it with the .venv python).

Usage: make_store.py OUTDIR [--models N] [--weights-size BYTES]

OUTDIR/models/       an Ollama models folder: N manifests
                     (manifests/registry.ollama.ai/library/m<i>/latest), a
                     config blob each, shared template/license/params/system
                     blobs, and a weights blob per model that starts with a
                     real GGUF header written by gguf-py (GGUFWriter: general.*,
                     llama.* keys, a 32,000-token vocabulary, 2 tensor infos)
                     and is then extended to --weights-size (default 1 GiB)
                     as a sparse file: realistic sizes at no disk cost.
OUTDIR/opfs-models/  the same store for the browser's OPFS, where a sparse
                     file cannot be copied cheaply: each weights blob is only
                     its GGUF head, zero-padded to a 64 KiB boundary (a few
                     hundred KiB). Manifests still declare the full size, so
                     the models table shows realistic sizes.
OUTDIR/store.json    what was written (counts, sizes).

The weights blobs are named by the SHA-256 of their GGUF head plus their
declared size, not of their full content (hashing N GiB of zeros would take
minutes): the store is for timing inspection, not verification.
"""
import argparse
import hashlib
import json
import os
import shutil
import sys
import tempfile

import gguf
import numpy as np

DOCKER = "application/vnd.docker.distribution.manifest.v2+json"
CONFIG = "application/vnd.docker.container.image.v1+json"
OLLAMA = "application/vnd.ollama.image."
MTIME = 1_795_305_599  # 2026-11-21T23:59:59Z; manifest i is i hours older
VOCAB = 32_000
EMBED = 4096
PAD = 64 * 1024


def gguf_head(i):
    """The GGUF header, metadata and tensor infos of model i (no tensor data)."""
    arch = "llama"
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "head.gguf")
        w = gguf.GGUFWriter(path, arch)
        w.add_name(f"Bench Model {i}")
        w.add_size_label("8B")
        w.add_file_type(gguf.LlamaFileType.MOSTLY_Q4_K_M)
        w.add_context_length(8192)
        w.add_embedding_length(EMBED)
        w.add_block_count(32)
        w.add_feed_forward_length(14336)
        w.add_head_count(32)
        w.add_head_count_kv(8)
        w.add_tokenizer_model("llama")
        w.add_token_list([f"<tok{j}>" if j % 7 else f"▁word{j}" for j in range(VOCAB)])
        w.add_chat_template("{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}")
        for name in ("token_embd.weight", "output.weight"):
            w.add_tensor_info(name, (VOCAB, EMBED), np.dtype(np.float16), VOCAB * EMBED * 2)
        w.write_header_to_file()
        w.write_kv_data_to_file()
        w.write_ti_data_to_file()
        w.close()
        with open(path, "rb") as f:
            return f.read()


def sha256(b):
    return hashlib.sha256(b).hexdigest()


def layer(kind, hex_digest, size):
    media = kind if "/" in kind else OLLAMA + kind
    return {"mediaType": media, "digest": "sha256:" + hex_digest, "size": size}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out")
    ap.add_argument("--models", type=int, default=50)
    ap.add_argument("--weights-size", type=int, default=1 << 30)
    args = ap.parse_args()

    roots = {kind: os.path.join(args.out, kind) for kind in ("models", "opfs-models")}
    for root in roots.values():
        shutil.rmtree(root, ignore_errors=True)
        os.makedirs(os.path.join(root, "blobs"))

    def write_both(rel, data, mtime=MTIME):
        for root in roots.values():
            p = os.path.join(root, rel)
            os.makedirs(os.path.dirname(p), exist_ok=True)
            with open(p, "wb") as f:
                f.write(data)
            os.utime(p, (mtime, mtime))

    def small_blob(data):
        hex_digest = sha256(data)
        write_both("blobs/sha256-" + hex_digest, data)
        return hex_digest, len(data)

    templates = [small_blob(t.encode()) for t in (
        "{{ if .System }}<|system|>{{ .System }}{{ end }}<|user|>{{ .Prompt }}<|assistant|>",
        "<start_of_turn>user\n{{ .Prompt }}<end_of_turn>\n<start_of_turn>model\n",
        "[INST] {{ if .System }}{{ .System }} {{ end }}{{ .Prompt }} [/INST]",
    )]
    licenses = [small_blob(t.encode() * 40) for t in (
        "Apache License, Version 2.0, January 2004 ...\n",
        "LLAMA 3 COMMUNITY LICENSE AGREEMENT ...\n",
    )]
    params = small_blob(b'{"stop":["<|user|>","<|assistant|>"],"temperature":0.7}')
    system = small_blob(b"You are a helpful assistant.")

    total_declared = 0
    head_bytes = 0
    for i in range(args.models):
        head = gguf_head(i)
        if len(head) > args.weights_size:
            sys.exit(f"GGUF head ({len(head)} B) is larger than --weights-size")
        weights_hex = sha256(head + str(args.weights_size).encode())
        name = "blobs/sha256-" + weights_hex
        # Full-size sparse weights for the disk store.
        p = os.path.join(roots["models"], name)
        with open(p, "wb") as f:
            f.write(head)
            f.truncate(args.weights_size)
        os.utime(p, (MTIME, MTIME))
        # Head-only weights for OPFS.
        padded = head + b"\0" * (-len(head) % PAD or PAD)
        p = os.path.join(roots["opfs-models"], name)
        with open(p, "wb") as f:
            f.write(padded)
        os.utime(p, (MTIME, MTIME))
        head_bytes += len(padded)

        config = json.dumps({
            "model_format": "gguf", "model_family": "llama", "model_families": ["llama"],
            "model_type": "8.0B", "file_type": "Q4_K_M", "architecture": "amd64", "os": "linux",
            "rootfs": {"type": "layers", "diff_ids": ["sha256:" + weights_hex]},
        }, separators=(",", ":")).encode()
        cfg_hex, cfg_size = small_blob(config)
        layers = [layer("model", weights_hex, args.weights_size),
                  layer("template", *templates[i % len(templates)]),
                  layer("license", *licenses[i % len(licenses)]),
                  layer("params", *params)]
        if i % 5 == 0:
            layers.insert(2, layer("system", *system))
        manifest = json.dumps({
            "schemaVersion": 2, "mediaType": DOCKER,
            "config": layer(CONFIG, cfg_hex, cfg_size), "layers": layers,
        }, separators=(",", ":")).encode()
        total_declared += cfg_size + sum(l["size"] for l in layers)
        write_both(f"manifests/registry.ollama.ai/library/m{i}/latest", manifest, MTIME - i * 3600)

    summary = {
        "models": args.models,
        "weights_size": args.weights_size,
        "declared_bytes": total_declared,
        "opfs_weights_bytes": head_bytes,
        "gguf_head_bytes": len(head),
    }
    with open(os.path.join(args.out, "store.json"), "w") as f:
        json.dump(summary, f, indent=2)
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
