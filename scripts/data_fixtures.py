#!/usr/bin/env python3
"""Writes tests/fixtures/data/: a small dataset in every format the playground reads, and
hostile variants of each, for the native and wasm tests (tests/datasets.rs, tests/datasets_wasm.rs)
and the page's e2e tests.

Needs Pillow (for the JPEG and WebP files; everything else is the standard library):
    python3 -m venv .venv && .venv/bin/pip install pillow
    .venv/bin/python scripts/data_fixtures.py

Every image is drawn from its class and index alone, so the files come out the same each run
(bar Pillow's encoders) and a test can say what each pixel must be: see `pixel()`.
"""
import gzip
import io
import pathlib
import struct
import tarfile
import zipfile

from PIL import Image, ImageDraw

OUT = pathlib.Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "data"


def pixel(label, index, channel, y, x):
    """The value of one pixel: a class's pattern (bands of its own period) shifted by the index."""
    return (label * 80 + channel * 40 + ((y + index) // (label + 1) % 2) * 100 + x * 3) % 256


def idx(dims, data):
    return bytes([0, 0, 8, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims) + bytes(data)


def gz(data):
    # mtime 0: the same bytes each run.
    return gzip.compress(data, mtime=0)


def images(labels, channels, height, width):
    return [
        pixel(label, i, c, y, x)
        for i, label in enumerate(labels)
        for c in range(channels)
        for y in range(height)
        for x in range(width)
    ]


def write(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def idx_sets():
    # 3 classes, 10×12 (rows × columns, not square: the order is checked), 30 + 9 images; the
    # training files gzipped, the test files not, as people unpack some and not others.
    train = [i % 3 for i in range(30)]
    test = [i % 3 for i in range(9)]
    d = OUT / "idx"
    write(d / "train-images-idx3-ubyte.gz", gz(idx([30, 10, 12], images(train, 1, 10, 12))))
    write(d / "train-labels-idx1-ubyte.gz", gz(idx([30], train)))
    write(d / "t10k-images-idx3-ubyte", idx([9, 10, 12], images(test, 1, 10, 12)))
    write(d / "t10k-labels-idx1-ubyte", idx([9], test))
    # EMNIST's letters as published: images stored transposed, labels 1 to 3 (no class 0), a
    # mapping of labels to character codes; no test files (a seeded split).
    letters = [1 + i % 3 for i in range(21)]
    transposed = [
        pixel(label, i, 0, y, x)
        for i, label in enumerate(letters)
        for x in range(12)
        for y in range(10)
    ]
    e = OUT / "emnist"
    write(e / "emnist-letters-train-images-idx3-ubyte.gz", gz(idx([21, 10, 12], transposed)))
    write(e / "emnist-letters-train-labels-idx1-ubyte.gz", gz(idx([21], letters)))
    write(e / "emnist-letters-mapping.txt", b"1 65 97\n2 66 98\n3 67 99\n")
    # Hostile: test images of another size than the training ones.
    m = OUT / "hostile" / "idx-mismatch"
    write(m / "train-images-idx3-ubyte", idx([3, 10, 12], images([0, 1, 2], 1, 10, 12)))
    write(m / "train-labels-idx1-ubyte", idx([3], [0, 1, 2]))
    write(m / "t10k-images-idx3-ubyte", idx([3, 12, 10], images([0, 1, 2], 1, 12, 10)))
    write(m / "t10k-labels-idx1-ubyte", idx([3], [0, 1, 2]))


def tar_gz(files):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.GNU_FORMAT) as t:
        for name, data in files:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 0
            t.addfile(info, io.BytesIO(data))
    return gz(raw.getvalue())


def records(labels, prefix=lambda label: [label]):
    """CIFAR's records: the label byte(s), then the image as planes of red, green and blue."""
    out = bytearray()
    for i, label in enumerate(labels):
        out += bytes(prefix(label))
        out += bytes(pixel(label, i, c, y, x) for c in range(3) for y in range(32) for x in range(32))
    return bytes(out)


CIFAR10_NAMES = b"airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n\n"


def cifar():
    d = "cifar-10-batches-bin/"
    batches = [(f"{d}data_batch_{b}.bin", records([(b * 2 + i) % 10 for i in range(4)])) for b in range(1, 6)]
    files = [(d + "batches.meta.txt", CIFAR10_NAMES), (d + "readme.html", b"<p>CIFAR-10</p>\n")]
    files += batches + [(d + "test_batch.bin", records([i % 10 for i in range(10)]))]
    write(OUT / "cifar-10-binary.tar.gz", tar_gz(files))
    # CIFAR-100: coarse and fine labels; 100 fine classes, each with a training image.
    fine = list(range(100))
    d100 = "cifar-100-binary/"
    files = [
        (d100 + "fine_label_names.txt", "".join(f"fine{c}\n" for c in range(100)).encode()),
        (d100 + "coarse_label_names.txt", "".join(f"coarse{c}\n" for c in range(20)).encode()),
        (d100 + "train.bin", records(fine, lambda label: [label // 5, label])),
        (d100 + "test.bin", records(fine[:7], lambda label: [label // 5, label])),
    ]
    write(OUT / "cifar-100-binary.tar.gz", tar_gz(files))
    h = OUT / "hostile"
    # Not CIFAR: a tar.gz of something else (2 MB of text before any CIFAR file).
    write(h / "not-cifar.tar.gz", tar_gz([("photos/notes.txt", b"not a dataset\n" * 150_000)]))
    # A label of 12 in CIFAR-10.
    bad = records([1, 12, 3])
    write(h / "cifar-bad-label.tar.gz", tar_gz([(d + "data_batch_1.bin", bad), (d + "test_batch.bin", bad)]))
    # A batch that is not a whole number of records.
    write(h / "cifar-ragged.tar.gz", tar_gz([(d + "data_batch_1.bin", records([1, 2])[:-5])]))
    # The real layout, cut off halfway.
    whole = (OUT / "cifar-10-binary.tar.gz").read_bytes()
    write(h / "cifar-cut.tar.gz", whole[: len(whole) // 2])
    # Not gzip at all.
    write(h / "plain.tar.gz", b"this is a text file, renamed\n")


def png(label, i, size, mode="RGB"):
    """A PNG of class `label`'s image `i`: its red channel alone when gray (mode L)."""
    w, h = size
    if mode == "L":
        img = Image.new("L", (w, h))
        img.putdata([pixel(label, i, 0, y, x) for y in range(h) for x in range(w)])
    else:
        img = Image.new("RGB", (w, h))
        img.putdata([tuple(pixel(label, i, c, y, x) for c in range(3)) for y in range(h) for x in range(w)])
    buf = io.BytesIO()
    img.convert(mode).save(buf, format="PNG")
    return buf.getvalue()


def encoded(label, i, size, fmt):
    w, h = size
    img = Image.new("RGB", (w, h))
    img.putdata([tuple(pixel(label, i, c, y, x) for c in range(3)) for y in range(h) for x in range(w)])
    buf = io.BytesIO()
    img.save(buf, format=fmt, **({"lossless": True} if fmt == "WEBP" else {"quality": 95}))
    return buf.getvalue()


SHAPES = ["circle", "cross", "line"]


def folder_files():
    """A folder of class folders, 16×16 colour, with what people's folders also hold."""
    files = []
    for label, name in enumerate(SHAPES):
        for i in range(7):
            files.append((f"shapes/{name}/{i}.png", png(label, i, (16, 16))))
    files.append(("shapes/cross/photo.jpg", encoded(1, 7, (16, 16), "JPEG")))
    files.append(("shapes/line/photo.webp", encoded(2, 7, (16, 16), "WEBP")))
    files.append(("shapes/README.txt", b"three shapes\n"))
    files.append(("shapes/circle/broken.png", b"\x89PNG\r\n\x1a\nnot really"))
    files.append(("shapes/.DS_Store", b"\0\0\0\1Bud1"))
    return files


def folders():
    for name, data in folder_files():
        write(OUT / name, data)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in folder_files():
            z.writestr(zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0)), data, zipfile.ZIP_DEFLATED)
        z.writestr(zipfile.ZipInfo("__MACOSX/shapes/._0.png", (1980, 1, 1, 0, 0, 0)), b"mac")
        z.writestr(zipfile.ZipInfo("../escape/0.png", (1980, 1, 1, 0, 0, 0)), png(0, 0, (16, 16)))
    write(OUT / "shapes.zip", buf.getvalue())
    # train/ and test/, gray, 20×12 (its own size: shared by all, under 64 px).
    for split, count in [("train", 5), ("test", 2)]:
        for label, name in enumerate(["a", "b"]):
            for i in range(count):
                write(OUT / f"split/{split}/{name}/{i}.png", png(label, i, (20, 12), "L"))
    h = OUT / "hostile"
    # Mixed sizes and modes: gray and colour, 20×20 and 40×30: made 32×32 colour.
    write(h / "mixed/a/0.png", png(0, 0, (20, 20), "L"))
    write(h / "mixed/a/1.png", png(0, 1, (40, 30), "RGBA"))
    write(h / "mixed/b/0.png", png(1, 0, (20, 20), "P"))
    write(h / "mixed/b/1.png", png(1, 1, (100, 80)))
    # One class only.
    write(h / "one-class/cats/0.png", png(0, 0, (16, 16)))
    # A zip bomb: a member that says it is 256 MB (deflated zeros, 256 KB), and one that says
    # 100 bytes but inflates to 50 MB.
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for i in range(3):
            z.writestr(f"bomb/a/{i}.png", png(0, i, (16, 16)))
            z.writestr(f"bomb/b/{i}.png", png(1, i, (16, 16)))
        z.writestr("bomb/a/big.png", bytes(1 << 28))
    write(h / "bomb.zip", buf.getvalue())
    write(h / "liar.zip", liar())


def liar():
    """A zip whose member claims 100 bytes but inflates to 50 MB."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for i in range(3):
            z.writestr(f"liar/a/{i}.png", png(0, i, (16, 16)))
            z.writestr(f"liar/b/{i}.png", png(1, i, (16, 16)))
        z.writestr("liar/b/liar.png", bytes(50 << 20))
    data = bytearray(buf.getvalue())
    name = b"liar/b/liar.png"
    # The uncompressed size, in the local header (offset 22) and the central directory (24).
    for sig, offset in [(b"PK\x03\x04", 22), (b"PK\x01\x02", 24)]:
        at = 0
        while (at := data.find(sig, at)) != -1:
            head = 30 if sig == b"PK\x03\x04" else 46
            if data[at + head : at + head + len(name)] == name:
                struct.pack_into("<I", data, at + offset, 100)
            at += 4
    return bytes(data)


def colour_shapes(per_class=150, side=20):
    """A learnable colour dataset: red and blue discs and crosses, each at a place, size and
    shade of its own on a noisy gray background, so that colour and shape both decide the class."""
    import random

    rng = random.Random(7)
    buf = io.BytesIO()
    red, blue = (220, 40, 40), (40, 70, 230)
    classes = [("red disc", red, "disc"), ("red cross", red, "cross"),
               ("blue disc", blue, "disc"), ("blue cross", blue, "cross")]
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for i in range(per_class):
            for name, colour, shape in classes:
                image = Image.new("RGB", (side, side))
                base = rng.randrange(40, 110)
                image.putdata([(base + rng.choice((0, 24)),) * 3 for _ in range(side * side)])
                draw = ImageDraw.Draw(image)
                r = rng.randrange(4, 8)
                x, y = rng.randrange(r + 1, side - r - 1), rng.randrange(r + 1, side - r - 1)
                fill = tuple(max(0, min(255, c + rng.randrange(-30, 31))) for c in colour)
                if shape == "disc":
                    draw.ellipse([x - r, y - r, x + r, y + r], fill=fill)
                else:
                    draw.line([x - r, y - r, x + r, y + r], fill=fill, width=2)
                    draw.line([x - r, y + r, x + r, y - r], fill=fill, width=2)
                data = io.BytesIO()
                image.save(data, "PNG")
                info = zipfile.ZipInfo(f"colour-shapes/{name}/{i}.png", (1980, 1, 1, 0, 0, 0))
                z.writestr(info, data.getvalue(), zipfile.ZIP_DEFLATED)
    write(OUT / "colour-shapes.zip", buf.getvalue())


def main():
    idx_sets()
    cifar()
    folders()
    colour_shapes()
    total = sum(p.stat().st_size for p in OUT.rglob("*") if p.is_file())
    print(f"wrote {OUT} ({total // 1024} KB)")


if __name__ == "__main__":
    main()
