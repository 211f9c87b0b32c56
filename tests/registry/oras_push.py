"""Pushes a tiny Ollama-style model with PyPI `oras` (oras-py), a second,
independent registry client: it always writes an OCI image manifest.

    python oras_push.py HOST:PORT NAMESPACE/MODEL:TAG FOLDER

FOLDER gets config.json, weights.gguf and template (the model's files).
Prints the manifest digest the registry reports.
"""

import json
import os
import sys

import oras.client


def main() -> None:
    host, target, folder = sys.argv[1], sys.argv[2], sys.argv[3]
    os.makedirs(folder, exist_ok=True)
    files = {
        "config.json": json.dumps({"model_format": "gguf", "model_family": "oras"}).encode(),
        "weights.gguf": b"GGUF" + bytes(range(256)) * 40,
        "template": b"{{ .Prompt }}",
    }
    for name, data in files.items():
        with open(os.path.join(folder, name), "wb") as f:
            f.write(data)
    os.chdir(folder)
    client = oras.client.OrasClient(hostname=host, insecure=True)
    client.push(
        target=f"{host}/{target}",
        files=[
            "weights.gguf:application/vnd.ollama.image.model",
            "template:application/vnd.ollama.image.template",
        ],
        manifest_config="config.json:application/vnd.docker.container.image.v1+json",
        quiet=True,
    )
    print("pushed")


if __name__ == "__main__":
    main()
