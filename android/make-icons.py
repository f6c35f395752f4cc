#!/usr/bin/env python3
"""Draws the app icon (a white padlock on a teal rounded square) as the PNGs the phone builds
use: Android's launcher icons in android/res/mipmap-*/ and the iOS App Store icon in
ios/Assets.xcassets/AppIcon.appiconset/. Standard library only; run it again after changing
the drawing:  python3 android/make-icons.py
"""
import os
import struct
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TEAL = (0x0B, 0x6E, 0x75)
WHITE = (0xFF, 0xFF, 0xFF)


def coverage(x, y, rounded_corners):
    """What covers the point (x, y) of the unit square: 'lock', 'bg' or None."""
    # Padlock: a body (rounded rectangle) and a shackle (a ring's upper half plus two legs).
    if 0.27 <= x <= 0.73 and 0.45 <= y <= 0.80:
        # The keyhole: a dot and a slot.
        if (x - 0.5) ** 2 + (y - 0.58) ** 2 <= 0.045 ** 2 or (0.485 <= x <= 0.515 and 0.58 <= y <= 0.70):
            return "bg"
        return "lock"
    cx, cy, r_out, r_in = 0.5, 0.45, 0.17, 0.11
    d = ((x - cx) ** 2 + (y - cy) ** 2) ** 0.5
    if y <= cy and r_in <= d <= r_out:
        return "lock"
    if cy <= y <= 0.46 and (r_in <= abs(x - cx) <= r_out):
        return "lock"
    if not rounded_corners:
        return "bg"
    # Rounded square background (Android launchers mask the icon themselves; iOS does too, so
    # the iOS icon is drawn square).
    r = 0.18
    qx = min(max(x, r), 1 - r)
    qy = min(max(y, r), 1 - r)
    if (x - qx) ** 2 + (y - qy) ** 2 <= r * r:
        return "bg"
    return None


def render(size, rounded_corners):
    """RGBA rows, each pixel averaged over 3×3 samples."""
    rows = []
    n = 3
    for py in range(size):
        row = bytearray()
        for px in range(size):
            acc = [0, 0, 0, 0]
            for sy in range(n):
                for sx in range(n):
                    x = (px + (sx + 0.5) / n) / size
                    y = (py + (sy + 0.5) / n) / size
                    what = coverage(x, y, rounded_corners)
                    if what is None:
                        continue
                    colour = WHITE if what == "lock" else TEAL
                    for i in range(3):
                        acc[i] += colour[i]
                    acc[3] += 255
            k = n * n
            alpha = acc[3] // k
            if alpha:
                # Un-premultiply so edges keep their colour.
                covered = acc[3] // 255
                row += bytes(acc[i] // covered for i in range(3)) + bytes([alpha])
            else:
                row += b"\0\0\0\0"
        rows.append(bytes(row))
    return rows


def write_png(path, size, rows, alpha=True):
    def chunk(kind, data):
        out = struct.pack(">I", len(data)) + kind + data
        return out + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    if not alpha:  # The App Store icon must not have an alpha channel.
        rows = [bytes(b for i, b in enumerate(r) if i % 4 != 3) for r in rows]
    colour_type = 6 if alpha else 2
    raw = b"".join(b"\0" + r for r in rows)
    png = b"\x89PNG\r\n\x1a\n"
    png += chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, colour_type, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(raw, 9))
    png += chunk(b"IEND", b"")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(png)


ANDROID = {"mdpi": 48, "hdpi": 72, "xhdpi": 96, "xxhdpi": 144, "xxxhdpi": 192}

if __name__ == "__main__":
    for density, size in ANDROID.items():
        path = os.path.join(ROOT, "android", "res", f"mipmap-{density}", "ic_launcher.png")
        write_png(path, size, render(size, True))
        print(path)
    path = os.path.join(ROOT, "ios", "Assets.xcassets", "AppIcon.appiconset", "icon-1024.png")
    write_png(path, 1024, render(1024, False), alpha=False)
    print(path)
