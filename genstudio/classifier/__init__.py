"""Face attribute classifier shared by the person and makeup services.

    from genstudio.classifier import load_classifier
    clf = load_classifier("face-attributes")      # eval mode, CPU, fp32
    logits = clf(faces)                            # faces: [-1, 1] RGB [N, 3, H, W] (any H, W; resized inside)
    clf.attributes                                 # the 40 CelebA attribute names, in logit order
    clf.probabilities(faces)["Smiling"]            # sigmoid scores by name
"""

from __future__ import annotations

from .networks import AttributeClassifier

DEFAULT_MODEL = "face-attributes"
INSTALL_HINT = "train it with: genstudio train classifier --config configs/classifier-attributes-cpu.yaml"


def build_classifier(config: dict) -> AttributeClassifier:
    return AttributeClassifier(tuple(config["attributes"]), int(config.get("width", 32)),
                               int(config.get("image_size", 64)), float(config.get("dropout", 0.2)))


def load_classifier(name: str = DEFAULT_MODEL, device: str = "cpu") -> AttributeClassifier:
    """The trained classifier by model name (weights/<name>/), in eval mode; ModelMissing if absent."""
    from ..weights import load

    loaded = load(name, hint=INSTALL_HINT)
    model = build_classifier(loaded.config)
    model.load_state_dict(loaded.tensors)
    model.checkpoint = loaded.checkpoint  # type: ignore[attr-defined]
    return model.to(device).eval().requires_grad_(False)


__all__ = ["AttributeClassifier", "DEFAULT_MODEL", "build_classifier", "load_classifier"]
