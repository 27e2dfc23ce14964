# SPDX-License-Identifier: AGPL-3.0-or-later
"""imagegen: real JPEG and PNG byte streams for the attachment tests and
the strip fuzz corpus, built with the standard library only. Each builder
returns (file with metadata, the same file as the stripper must leave it).
The stripper works on structure, so the images need only well-formed
segments and chunks; the PNG is a real, decodable 2x2 image."""
import struct
import zlib

GPS = b"GPS-MARKER 43.3180N 45.6985E safe house"


def _png_chunk(kind, data):
    return (struct.pack(">I", len(data)) + kind + data +
            struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff))


def png():
    sig = b"\x89PNG\r\n\x1a\n"
    ihdr = _png_chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
    raw = b"".join(b"\x00" + b"\xff\x00\x00" * 2 for _ in range(2))
    idat = _png_chunk(b"IDAT", zlib.compress(raw))
    iend = _png_chunk(b"IEND", b"")
    text = _png_chunk(b"tEXt", b"Comment\x00" + GPS)
    itxt = _png_chunk(b"iTXt", b"XML:com.adobe.xmp\x00\x00\x00\x00\x00" + GPS)
    ztxt = _png_chunk(b"zTXt", b"Location\x00\x00" + zlib.compress(GPS))
    exif = _png_chunk(b"eXIf", b"MM\x00*\x00\x00\x00\x08" + GPS)
    phys = _png_chunk(b"pHYs", struct.pack(">IIB", 2835, 2835, 1))
    full = sig + ihdr + text + phys + exif + idat + itxt + ztxt + iend
    clean = sig + ihdr + phys + idat + iend
    # a trailer after IEND is dropped too
    return full + b"TRAILER " + GPS, clean


def _seg(marker, payload):
    return b"\xff" + bytes([marker]) + struct.pack(">H", len(payload) + 2) + \
        payload


def jpeg():
    soi, eoi = b"\xff\xd8", b"\xff\xd9"
    app0 = _seg(0xe0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
    app1 = _seg(0xe1, b"Exif\x00\x00MM\x00*\x00\x00\x00\x08" + GPS)
    xmp = _seg(0xe1, b"http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta>" + GPS +
               b"</x:xmpmeta>")
    app13 = _seg(0xed, b"Photoshop 3.0\x008BIM" + GPS)
    com = _seg(0xfe, b"comment " + GPS)
    dqt = _seg(0xdb, b"\x00" + bytes(range(1, 65)))
    sof = _seg(0xc0, b"\x08\x00\x10\x00\x10\x01\x01\x11\x00")
    dht = _seg(0xc4, b"\x00" + b"\x00" * 15 + b"\x00" * 1)
    sos = _seg(0xda, b"\x01\x01\x00\x00\x3f\x00")
    # entropy-coded data with stuffed FF00 and a restart marker, and an
    # FF that is not metadata
    ecs = b"\x12\x34\xff\x00\x56\xff\xd0\x78\x9a" * 50
    full = soi + app0 + app1 + xmp + dqt + app13 + sof + dht + com + sos + \
        ecs + eoi + b"TRAILER " + GPS
    clean = soi + app0 + dqt + sof + dht + sos + ecs + eoi
    return full, clean
