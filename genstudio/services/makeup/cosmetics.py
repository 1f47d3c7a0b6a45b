"""The cosmetics the makeup service offers (lipstick, eye shadow, blush): each one's parameters and what the page
shows for it. The switch's name is also the editor Request's field (genstudio.stargan.editor.Request), so the
service's schema, the request built from its parameters and the page all come from this one table."""

from __future__ import annotations

from dataclasses import dataclass

from ...errors import N_
from ..params import Param


@dataclass(frozen=True)
class Cosmetic:
    """A cosmetic painted in the shade the user picks (genstudio.faces.cosmetics): its on/off parameter, its
    shade parameter, and what the page shows: a label, the shade picker's name, a hint and the preset swatches
    (name, #rrggbb; the first is the default shade)."""

    switch: str
    field: str
    label: str
    shade_label: str
    hint: str
    shades: tuple[tuple[str, str], ...]
    help: str
    shade_help: str

    @property
    def default(self) -> str:
        return self.shades[0][1]

    def params(self) -> tuple[Param, Param]:
        """The switch (off|on) and the shade (#rrggbb), which only counts, and is only recorded, when on."""
        return (Param(self.switch, "choice", "off", choices=("off", "on"), help=self.help),
                Param(self.field, "color", self.default, when=(self.switch, ("on",)), help=self.shade_help))


COSMETICS = (  # in the page's order
    Cosmetic("lips", "lip_shade", N_("Lipstick"), N_("Lipstick shade"),
             N_("The model finds the lips; you pick the colour."),
             ((N_("Red"), "#b3202e"), (N_("Coral"), "#e0604e"), (N_("Pink"), "#e8849f"), (N_("Rose"), "#c2587a"),
              (N_("Berry"), "#7e2348"), (N_("Nude"), "#b4786a")),
             "lipstick in the shade you pick, on the lips the model finds", "lipstick colour, e.g. #b3202e"),
    Cosmetic("eyes", "eye_shade", N_("Eye shadow"), N_("Eye shadow shade"),
             N_("The model finds the eyelids; you pick the colour."),
             ((N_("Plum"), "#6e3d63"), (N_("Taupe"), "#8a6f66"), (N_("Bronze"), "#9a6432"),
              (N_("Rose gold"), "#b76e79"), (N_("Smoky"), "#4a4650"), (N_("Teal"), "#2f6e70")),
             "translucent eye shadow in the shade you pick, on the upper eyelids the model finds",
             "eye shadow colour, e.g. #6e3d63"),
    Cosmetic("blush", "blush_shade", N_("Blush"), N_("Blush shade"),
             N_("The model finds the cheeks; you pick the colour."),
             ((N_("Pink"), "#f08ca0"), (N_("Rose"), "#d86a80"), (N_("Peach"), "#f6a57e"), (N_("Coral"), "#ef7b69")),
             "a soft blush in the shade you pick, on the cheeks the model finds", "blush colour, e.g. #f08ca0"),
)
