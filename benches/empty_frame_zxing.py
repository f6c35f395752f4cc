#!/usr/bin/env python3
"""zxing-cpp's time on benches/scan.rs's `live/empty_1280x720` frame, rebuilt bit for bit.

The issue's budget for a live camera frame with nothing in view is twice what zxing-cpp takes on
it. Run this right after `cargo bench --bench scan -- live/empty` so that both are measured on the
same machine state:

    $(../shared/bench/setup-peers.sh | tail -1) benches/empty_frame_zxing.py
"""
import statistics, time
import numpy as np
import zxingcpp

W, H = 1280, 720


def lcg_noise(img, amplitude, seed):
    """tests/scan_render/mod.rs's `noise`: the same 64-bit LCG, the same draws."""
    state = seed
    flat = img.reshape(-1)
    for i in range(flat.size):
        state = (state * 6364136223846793005 + 1442695040888963407) & 0xFFFFFFFFFFFFFFFF
        n = ((state >> 33) % (2 * amplitude + 1)) - amplitude
        flat[i] = min(255, max(0, int(flat[i]) + n))


def empty_720p():
    i = np.arange(W * H)
    img = (90 + (i % W) * 80 // W + (i // W) * 40 // H).astype(np.int32)
    lcg_noise(img, 6, 9)
    return img.astype(np.uint8).reshape(H, W)


def main():
    frame = empty_720p()
    qr = zxingcpp.BarcodeFormat.QRCode
    assert not zxingcpp.read_barcodes(frame, formats=qr)
    times = []
    for _ in range(200):
        t = time.perf_counter()
        zxingcpp.read_barcodes(frame, formats=qr)
        times.append((time.perf_counter() - t) * 1000)
    print(f"zxing-cpp on the empty 1280x720 frame: median {statistics.median(times):.3f} ms, "
          f"best {min(times):.3f} ms over {len(times)} runs")


if __name__ == "__main__":
    main()
