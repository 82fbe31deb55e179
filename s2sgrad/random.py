"""`set_seed` / `get_seed`: one seed for every random draw s2sgrad makes.

Dropout draws its mask inside the compiled forward. The `cpu` backend draws from
Numba's generator, whose state is separate from NumPy's; eager calls, the `python`
backend and the initializers draw from NumPy's. `set_seed` seeds both alike (the same
Mersenne Twister, so a seeded compiled run and a seeded eager run draw the same
masks), which makes runs reproducible."""
import numpy as np

_seed = [None]


def _seed_numba(seed):
    np.random.seed(seed)


_jitted = []


def set_seed(seed):
    """MindSpore's set_seed: seed NumPy's and Numba's generators with `seed`."""
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"The argument 'seed' must be type of int, but got {type(seed)}.")
    if seed < 0:
        raise ValueError(f"The argument 'seed' must be greater than or equal to 0, but got {seed}.")
    np.random.seed(seed % 2 ** 32)
    if not _jitted:
        import numba
        _jitted.append(numba.njit(cache=True)(_seed_numba))
    _jitted[0](seed % 2 ** 32)
    _seed[0] = seed


def get_seed():
    """The seed `set_seed` last set, or None."""
    return _seed[0]
