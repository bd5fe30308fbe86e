#!/usr/bin/env python3
"""Writes a CIFAR-10 binary archive of the real size and layout, with generated pixels, for
bench/full-cifar.mjs: 50,000 training and 10,000 test records of 1 + 3,072 bytes in
cifar-10-batches-bin/ (five data batches and a test batch) with batches.meta.txt. Each image is its
class's colour plus noise, so it is learnable and compresses about as little as photos do.

    python3 bench/cifar_sized.py OUT.tar.gz
"""
import gzip
import io
import os
import sys
import tarfile

NAMES = b"airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n"


def batch(n):
    out = bytearray()
    for i in range(n):
        label = i % 10
        base = [(label * 25 + c * 60) % 256 for c in range(3)]
        noise = os.urandom(3072)
        out.append(label)
        out += bytes((base[k // 1024] + (noise[k] & 63)) & 255 for k in range(3072))
    return bytes(out)


def main(path):
    with gzip.open(path, "wb", compresslevel=1) as gz, tarfile.open(fileobj=gz, mode="w|") as tar:
        def add(name, data):
            info = tarfile.TarInfo(f"cifar-10-batches-bin/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))

        add("batches.meta.txt", NAMES)
        for b in range(1, 6):
            add(f"data_batch_{b}.bin", batch(10_000))
        add("test_batch.bin", batch(10_000))
    print(f"wrote {path} ({os.path.getsize(path) >> 20} MiB)")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "cifar-10-binary.tar.gz")
