"""softops: hard operators with documented subgradients, and their smooth relaxations."""

from softops._elementwise import abs as abs
from softops._elementwise import clip as clip
from softops._elementwise import heaviside as heaviside
from softops._elementwise import maximum as maximum
from softops._elementwise import minimum as minimum
from softops._elementwise import relu as relu
from softops._elementwise import sign as sign
from softops._registry import Kink as Kink
from softops._registry import OperatorInfo as OperatorInfo
from softops._registry import info as info
from softops._registry import kinks as kinks
from softops._registry import operators as operators

__version__ = "0.1.0"

__all__ = [
    "Kink",
    "OperatorInfo",
    "abs",
    "clip",
    "heaviside",
    "info",
    "kinks",
    "maximum",
    "minimum",
    "operators",
    "relu",
    "sign",
]
