"""softops: hard operators with documented subgradients, and their smooth relaxations."""

from softops._checks import check_temperature as check_temperature
from softops._compare import equal as equal
from softops._compare import greater as greater
from softops._compare import greater_equal as greater_equal
from softops._compare import isclose as isclose
from softops._compare import less as less
from softops._compare import less_equal as less_equal
from softops._compare import not_equal as not_equal
from softops._control import cond as cond
from softops._control import piecewise as piecewise
from softops._control import switch as switch
from softops._control import while_loop as while_loop
from softops._elementwise import abs as abs
from softops._elementwise import clip as clip
from softops._elementwise import heaviside as heaviside
from softops._elementwise import maximum as maximum
from softops._elementwise import minimum as minimum
from softops._elementwise import relu as relu
from softops._elementwise import sign as sign
from softops._logic import all as all
from softops._logic import any as any
from softops._logic import logical_and as logical_and
from softops._logic import logical_not as logical_not
from softops._logic import logical_or as logical_or
from softops._logic import logical_xor as logical_xor
from softops._pooling import avg_pool as avg_pool
from softops._pooling import max_pool as max_pool
from softops._pooling import min_pool as min_pool
from softops._reductions import argmax as argmax
from softops._reductions import argmin as argmin
from softops._reductions import logsumexp as logsumexp
from softops._reductions import max as max
from softops._reductions import min as min
from softops._registry import Kink as Kink
from softops._registry import OperatorInfo as OperatorInfo
from softops._registry import info as info
from softops._registry import kinks as kinks
from softops._registry import operators as operators
from softops._rounding import ceil as ceil
from softops._rounding import floor as floor
from softops._rounding import round as round
from softops._safe import divide as divide
from softops._safe import log as log
from softops._safe import norm as norm
from softops._safe import sqrt as sqrt
from softops._select import choose as choose
from softops._select import dynamic_index_in_dim as dynamic_index_in_dim
from softops._select import dynamic_slice_in_dim as dynamic_slice_in_dim
from softops._select import take as take
from softops._select import take_along_axis as take_along_axis
from softops._select import where as where
from softops._sorting import argsort as argsort
from softops._sorting import median as median
from softops._sorting import percentile as percentile
from softops._sorting import quantile as quantile
from softops._sorting import rank as rank
from softops._sorting import sort as sort
from softops._sorting import sort_by as sort_by
from softops._sorting import top_k as top_k
from softops._sorting import top_k_mask as top_k_mask

__version__ = "0.1.0"

__all__ = [
    "Kink",
    "OperatorInfo",
    "abs",
    "all",
    "any",
    "argmax",
    "argmin",
    "argsort",
    "avg_pool",
    "ceil",
    "check_temperature",
    "choose",
    "clip",
    "cond",
    "divide",
    "dynamic_index_in_dim",
    "dynamic_slice_in_dim",
    "equal",
    "floor",
    "greater",
    "greater_equal",
    "heaviside",
    "info",
    "isclose",
    "kinks",
    "less",
    "less_equal",
    "log",
    "logical_and",
    "logical_not",
    "logical_or",
    "logical_xor",
    "logsumexp",
    "max",
    "max_pool",
    "maximum",
    "median",
    "min",
    "min_pool",
    "minimum",
    "norm",
    "not_equal",
    "operators",
    "percentile",
    "piecewise",
    "quantile",
    "rank",
    "relu",
    "round",
    "sign",
    "sort",
    "sort_by",
    "sqrt",
    "switch",
    "take",
    "take_along_axis",
    "top_k",
    "top_k_mask",
    "where",
    "while_loop",
]
