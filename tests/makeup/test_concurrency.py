"""Face detection from many request threads at once (issue 15): each thread gets its own OpenCV cascade, so
concurrent detections on photos of different sizes give the same faces as one at a time, and never an error."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import cv2
import numpy as np

from genstudio.faces import detect_faces

SCALES = (0.45, 0.7, 1.0, 1.3, 1.7, 2.2)  # six sizes, as in the report that crashed the server


def photos(astronaut: np.ndarray) -> list[np.ndarray]:
    out = []
    for i, scale in enumerate(SCALES):
        photo = cv2.resize(astronaut, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        out.append(np.ascontiguousarray(np.rot90(photo)) if i % 2 else photo)  # sideways ones take the retries
    return out


def summary(photo: np.ndarray) -> list[tuple]:
    return [(round(f.center[0]), round(f.center[1]), round(f.size), f.eyes is not None)
            for f in detect_faces(photo)]


def test_concurrent_detections_match_sequential_ones(astronaut):
    inputs = photos(astronaut)
    expected = [summary(photo) for photo in inputs]
    assert all(expected), "every test photo shows the astronaut's face"
    with ThreadPoolExecutor(max_workers=len(inputs)) as pool:
        for _ in range(4):
            results = list(pool.map(summary, inputs * 2))
            assert results == expected * 2
