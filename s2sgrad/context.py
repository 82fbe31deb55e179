"""`set_context` / `get_context`: MindSpore's global execution settings.

s2sgrad always compiles (its graph is the generated source), so `mode` is recorded for
code that reads it back; `device_target` ("CPU" or "GPU") is read by the backends.
"""
GRAPH_MODE = 0
PYNATIVE_MODE = 1

_DEVICE_TARGETS = ("CPU", "GPU", "Ascend")
_context = {"mode": PYNATIVE_MODE, "device_target": "CPU", "device_id": 0, "save_graphs": False,
            "save_graphs_path": ".", "max_call_depth": 1000, "jit_level": "O0",
            "deterministic": "OFF", "pynative_synchronize": False, "runtime_num_threads": 30}


def _check(key, value):
    if key == "mode" and value not in (GRAPH_MODE, PYNATIVE_MODE):
        raise ValueError(f"For 'set_context', the argument 'mode' should be context.GRAPH_MODE (0) or "
                         f"context.PYNATIVE_MODE (1), but got {value}.")
    if key == "device_target":
        if not isinstance(value, str) or value not in _DEVICE_TARGETS:
            raise ValueError(f"For 'set_context', the argument 'device_target' must be one of {list(_DEVICE_TARGETS)}, "
                             f"but got {value!r}.")
        if value == "Ascend":
            raise ValueError("s2sgrad has no Ascend backend; use device_target='CPU' or 'GPU'")
    if key in ("device_id", "max_call_depth", "runtime_num_threads") and (
            not isinstance(value, int) or isinstance(value, bool) or value < 0):
        raise TypeError(f"For 'set_context', the argument '{key}' must be a non-negative int, but got {value!r}.")


def set_context(**kwargs):
    """Set global settings, e.g. `set_context(mode=GRAPH_MODE, device_target="GPU")`.
    Unknown keys raise ValueError listing the known ones."""
    for key, value in kwargs.items():
        if key not in _context:
            raise ValueError(f"For 'set_context', the keyword argument {key} is not recognized! For detailed usage "
                             f"of 'set_context', please refer to the Mindspore official website. "
                             f"s2sgrad knows: {', '.join(sorted(_context))}.")
        _check(key, value)
    _context.update(kwargs)


def get_context(attr_key):
    """The current value of one setting."""
    if attr_key not in _context:
        raise ValueError(f"For 'get_context', the argument {attr_key} is not supported now. "
                         f"s2sgrad knows: {', '.join(sorted(_context))}.")
    return _context[attr_key]
