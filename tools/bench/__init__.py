"""Workloads of tools/benchmark.py, one module each (w1.py .. w6.py).

Each module defines TITLE, WRT, TOL (the allclose tolerance of its dtype), FD_WRT (which
gradients the tests check by finite differences), make_data(size) with size "full" or
"tiny", the hand-written Numba `primal` and `value_and_grad` (the physical limit and the
oracle), `_args(data)` for them, and `impl_<key>(data)` factories returning a
common.Impl for s2sgrad and each peer (jax, torch, tangent, mindspore_pynative,
mindspore_graph), importing the peer inside the factory. worker.py runs them;
startup.py measures start-up and memory.
"""
