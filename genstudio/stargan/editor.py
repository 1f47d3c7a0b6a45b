"""A trained StarGAN as an attribute editor: source attributes from the critic's classifier, targets that
change only what was asked, and the generator's *change* (not its output) for paste-back at full resolution.
A bilateral-grid generator (weights whose config says `head: bilateral`) computes that change at any resolution:
its grid is sliced with a full-resolution crop of the face as the guide (`change_at`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import torch

from .. import weights
from .bilateral import BilateralGenerator
from .networks import HAIR, Discriminator, Generator, build

INSTALL_HINT = "train it with: genstudio train makeup --config configs/makeup-cpu.yaml"


@dataclass
class Request:
    """What the user asked for: a hair colour (an entry of HAIR) or None, attribute -> 0/1 for the rest, and a
    shade (r, g, b) or None for each cosmetic: lipstick, eye shadow, blush (painted where the model's makeup edit
    marks them: genstudio.faces.cosmetics)."""

    hair: str | None = None
    set: Mapping[str, float] | None = None
    lips: tuple[int, int, int] | None = None
    eyes: tuple[int, int, int] | None = None
    blush: tuple[int, int, int] | None = None

    def is_empty(self) -> bool:
        return self.hair is None and not self.set and not self.cosmetics()

    def model_edits(self) -> bool:
        """Whether the generator has anything to change (hair or attributes; cosmetics are painted, not
        generated)."""
        return self.hair is not None or bool(self.set)

    def cosmetics(self) -> dict[str, tuple[int, int, int]]:
        """The cosmetics asked for, name -> shade, in the order they are painted: lipstick last, on top."""
        shades = {"blush": self.blush, "eyes": self.eyes, "lips": self.lips}
        return {name: shade for name, shade in shades.items() if shade is not None}


class StarGanEditor:
    def __init__(self, g: Generator | BilateralGenerator, d: Discriminator, config: dict, checkpoint: str = "",
                 name: str = ""):
        self.g, self.d = g.eval().requires_grad_(False), d.eval().requires_grad_(False)
        self.config = config
        self.attributes: tuple[str, ...] = tuple(config["attributes"])
        self.size = int(config["image_size"])
        self.checkpoint, self.name = checkpoint, name

    @classmethod
    def from_weights(cls, name: str) -> StarGanEditor:
        """The editor of installed weights; the generator is built from their config (`head`: pixel or
        bilateral), so a bilateral model is loaded as a BilateralGenerator."""
        loaded = weights.load(name, hint=INSTALL_HINT)
        g, d = build(loaded.config)
        g.load_state_dict({k[2:]: v for k, v in loaded.tensors.items() if k.startswith("G.")})
        d.load_state_dict({k[2:]: v for k, v in loaded.tensors.items() if k.startswith("D.")})
        return cls(g, d, loaded.config, loaded.checkpoint, name)

    reader: torch.nn.Module | None = None  # a face attribute classifier reading the source attributes, if set

    def use_reader(self, classifier: torch.nn.Module) -> None:
        """Read source attributes with a separately trained classifier (genstudio.classifier) instead of the
        critic's auxiliary head: on held-out faces it is the more accurate of the two."""
        self.reader = classifier
        self._columns = [list(classifier.attributes).index(a) for a in self.attributes]

    @torch.no_grad()
    def source_probabilities(self, x: torch.Tensor, x_hi: torch.Tensor | None = None) -> torch.Tensor:
        """P(attribute present) per face; x in [-1, 1], [N, 3, S, S] at the model's size. With a reader set,
        it reads x_hi (a larger crop of the same faces) when given, else x; otherwise the critic reads x."""
        if self.reader is not None:
            return torch.sigmoid(self.reader(x if x_hi is None else x_hi))[:, self._columns]
        return torch.sigmoid(self.d(x)[1])

    def source_labels(self, probs: torch.Tensor) -> torch.Tensor:
        """Binary source vector: each attribute above 0.5, and at most one hair colour (the likeliest)."""
        c = (probs > 0.5).float()
        hair = [self.attributes.index(h) for h in HAIR if h in self.attributes]
        if hair:
            hp = probs[:, hair]
            best = hp.argmax(1)
            c[:, hair] = 0.0
            keep = hp.max(1).values > 0.5
            c[keep, torch.tensor(hair)[best[keep]]] = 1.0
        return c

    def target_labels(self, c_src: torch.Tensor, request: Request) -> torch.Tensor:
        """The source vector with only the requested attributes changed (unrequested ones are kept)."""
        c = c_src.clone()
        if request.hair is not None:
            for h in HAIR:
                if h in self.attributes:
                    c[:, self.attributes.index(h)] = 0.0
            c[:, self.attributes.index(request.hair)] = 1.0
        for attr, value in (request.set or {}).items():
            c[:, self.attributes.index(attr)] = float(value)
        return c

    @torch.no_grad()
    def change(self, x: torch.Tensor, c_src: torch.Tensor, c_trg: torch.Tensor) -> torch.Tensor:
        """G(x, target) - G(x, source): the edit alone. Subtracting the generator's own reconstruction cancels
        what it does to every face (slight blur, colour bias), leaving only what the request changes."""
        out = self.g(torch.cat([x, x]), torch.cat([c_trg, c_src]))
        return out[: len(x)] - out[len(x):]

    @property
    def bilateral(self) -> bool:
        """True when the generator predicts a bilateral grid that can be sliced at any resolution."""
        return isinstance(self.g, BilateralGenerator)

    @torch.no_grad()
    def change_at(self, x: torch.Tensor, c_src: torch.Tensor, c_trg: torch.Tensor, full: torch.Tensor) -> torch.Tensor:
        """The change at `full`'s resolution (bilateral generators only): the grids predicted from x (the face at
        the model's size) for target and source, each sliced with `full` (the same aligned face at any size,
        [-1, 1], [N, 3, H, W]) as the guide, and subtracted like change(). [N, 3, H, W] in [-1, 1] units."""
        if not self.bilateral:
            raise TypeError("change_at needs a bilateral generator (config head: bilateral)")
        out = self.g.edit(torch.cat([x, x]), torch.cat([c_trg, c_src]), torch.cat([full, full]))
        return out[: len(x)] - out[len(x):]
