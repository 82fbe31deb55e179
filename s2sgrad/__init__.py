"""s2sgrad: source-to-source reverse-mode AD for MindSpore-style Python, compiled with Numba.

`import s2sgrad as ms` serves MindSpore code inside the supported subset: Tensor,
Parameter, ParameterTuple, nn, ops, common and dtypes. See DESIGN.md for the pipeline
(parse -> resolve -> normalize -> analyze -> reverse -> codegen -> compile).
"""
__version__ = "0.1.0"

from . import dtype
from .dtype import float16, float32, float64, int8, int16, int32, int64, uint8, bool_
from .errors import S2SGradError
from .parameter import Parameter, ParameterTuple
from .tensor import Tensor
from . import common, nn, ops
from .grad import compiled_source, source
from .jit import jit
from .loops import checkpointed
from .random import set_seed, get_seed
from .context import set_context, get_context, GRAPH_MODE, PYNATIVE_MODE
from .functional_grad import grad, value_and_grad
from .serialization import save_checkpoint, load_checkpoint, load_param_into_net

__all__ = ["Tensor", "Parameter", "ParameterTuple", "nn", "ops", "common", "dtype", "source", "compiled_source",
           "jit", "checkpointed",
           "set_seed", "get_seed", "S2SGradError", "float16", "float32", "float64", "int8", "int16", "int32", "int64",
           "uint8", "bool_", "set_context", "get_context", "GRAPH_MODE", "PYNATIVE_MODE", "grad", "value_and_grad",
           "save_checkpoint", "load_checkpoint", "load_param_into_net"]
