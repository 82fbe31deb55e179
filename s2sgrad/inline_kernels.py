"""Numba code for the kernels that generated code calls most (matmul, zeros_like,
ones_like, expand_dims) and for the allocations inside kernels, emitted inline at
the call site.

A register_jitable kernel is a Numba function of its own: type inference, lowering
and an LLVM optimisation of its module for the kernel, and again for each NumPy
function it calls (np.zeros_like is three such functions). That fixed cost, about
0.05-0.1 s each, is most of a small program's first call. The kernels here are
instead typed by a template and lowered straight into the caller's code
(`type_callable` + `lower_builtin`, as Numba's own builtins are), so they cost no
function compilation at all. The Python functions stay as they are in kernels.py:
the `python` backend and eager calls run them, and they define the semantics this
code must match (NumPy's, as Numba types them: zeros_like of a scalar is a 0-d array).
"""
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.core.imputils import impl_ret_borrowed, impl_ret_new_ref, lower_builtin
from numba.core.typing import signature
from numba.extending import type_callable

from . import blas


def _like_type(x):
    """np.empty_like's result type under Numba: the array's layout kept unless 'A' (then
    'C'); a scalar gives a 0-d array."""
    if isinstance(x, types.Array):
        return x.copy(layout=x.layout if x.layout != "A" else "C", readonly=False)
    if isinstance(x, (types.Number, types.Boolean)):
        return types.Array(x, 0, "C")
    return None


def _alloc_like(context, builder, sig, args):
    """A new array of sig.return_type with the shape of args[0], and its item count."""
    from numba.np.arrayobj import _empty_nd_impl
    xt, ret = sig.args[0], sig.return_type
    shapes = []
    if isinstance(xt, types.Array):
        shapes = cgutils.unpack_tuple(builder, context.make_array(xt)(context, builder, args[0]).shape, xt.ndim)
    out = _empty_nd_impl(context, builder, ret, shapes)
    count = context.get_constant(types.intp, 1)
    for s in shapes:
        count = builder.mul(count, s)
    return out, count


def _shape_type(shape, like):
    """np.empty(shape, like.dtype)'s type: `shape` an integer or a tuple of them."""
    if not isinstance(like, types.Array):
        return None
    if isinstance(shape, types.Integer):
        return types.Array(like.dtype, 1, "C")
    if isinstance(shape, types.BaseTuple) and all(isinstance(t, types.Integer) for t in shape):
        return types.Array(like.dtype, len(shape), "C")
    return None


def _alloc_shape(context, builder, sig, args):
    from numba.np.arrayobj import _empty_nd_impl, _parse_shape
    shapes = _parse_shape(context, builder, sig.args[0], args[0])     # checks for negative sizes
    out = _empty_nd_impl(context, builder, sig.return_type, shapes)
    count = context.get_constant(types.intp, 1)
    for s in shapes:
        count = builder.mul(count, s)
    return out, count


def _zero_fill(context, builder, sig, out, count):
    itemsize = context.get_constant(types.intp, context.get_abi_sizeof(context.get_data_type(sig.return_type.dtype)))
    cgutils.memset(builder, out.data, builder.mul(count, itemsize), 0)
    return impl_ret_new_ref(context, builder, sig.return_type, out._getvalue())


def _lower_empty(context, builder, sig, args):
    out, _ = _alloc_shape(context, builder, sig, args)
    return impl_ret_new_ref(context, builder, sig.return_type, out._getvalue())


def _lower_zeros(context, builder, sig, args):
    return _zero_fill(context, builder, sig, *_alloc_shape(context, builder, sig, args))


def _lower_empty_like(context, builder, sig, args):
    out, _ = _alloc_like(context, builder, sig, args)
    return impl_ret_new_ref(context, builder, sig.return_type, out._getvalue())


def _lower_zeros_like(context, builder, sig, args):
    return _zero_fill(context, builder, sig, *_alloc_like(context, builder, sig, args))


def _lower_ones_like(context, builder, sig, args):
    out, count = _alloc_like(context, builder, sig, args)
    dtype = sig.return_type.dtype
    one = context.get_value_as_data(builder, dtype, context.get_constant_generic(builder, dtype, 1))
    with cgutils.for_range(builder, count) as loop:        # C or F order: memory order is every item once
        builder.store(one, builder.gep(out.data, [loop.index]))
    return impl_ret_new_ref(context, builder, sig.return_type, out._getvalue())


def _lower_expand_dims(context, builder, sig, args):
    """np.expand_dims(x, axis): a view, as Numba's own np_expand_dims builds it."""
    from numba.np.arrayobj import _normalize_axis, expand_dims
    axis = context.cast(builder, args[1], sig.args[1], types.intp)
    axis = _normalize_axis(context, builder, "np.expand_dims", sig.return_type.ndim, axis)
    return impl_ret_borrowed(context, builder, sig.return_type, expand_dims(context, builder, sig, args, axis))


def _flag(context, builder, ty, val):
    return context.cast(builder, val, ty, types.boolean)


def _matmul_lowering(ta, tb):
    """matmul_nn .. matmul_tt: lower_gemm with constant transposes."""
    def lower(context, builder, sig, args):
        flags = [ir.Constant(ir.IntType(1), int(f)) for f in (ta, tb)]
        gsig = signature(sig.return_type, *sig.args, types.boolean, types.boolean)
        return blas.lower_gemm(context, builder, gsig, (*args, *flags))
    return lower


def _lower_matmul(context, builder, sig, args):
    x, y, ta, tb = args
    gsig = signature(sig.return_type, sig.args[0], sig.args[1], types.boolean, types.boolean)
    return blas.lower_gemm(context, builder, gsig, (x, y, _flag(context, builder, sig.args[2], ta),
                                                    _flag(context, builder, sig.args[3], tb)))


def _is_flag(t):
    return isinstance(t, (types.Boolean, types.Integer))


# kernel name -> (typer: argument types -> return type or None, lowering)
KERNELS = {
    "_empty": (_shape_type, _lower_empty),
    "_zeros": (_shape_type, _lower_zeros),
    "_empty_like": (_like_type, _lower_empty_like),
    "zeros_like": (_like_type, _lower_zeros_like),
    "ones_like": (_like_type, _lower_ones_like),
    "expand_dims": (lambda x, axis: (x.copy(ndim=x.ndim + 1, layout=x.layout if x.ndim <= 1 else "A")
                                     if isinstance(x, types.Array) and isinstance(axis, types.Integer) else None),
                    _lower_expand_dims),
    "matmul": (lambda x, y, ta, tb: blas.result_type(x, y) if _is_flag(ta) and _is_flag(tb) else None,
               _lower_matmul),
    "gemm": (lambda x, y, ta, tb: blas.result_type(x, y) if _is_flag(ta) and _is_flag(tb) else None,
             _lower_matmul),
    **{f"matmul_{a}{b}": (blas.result_type, _matmul_lowering(a == "t", b == "t")) for a in "nt" for b in "nt"},
    "xgemm": (blas.xgemm_type, blas.lower_xgemm),
}


def register(namespace):
    """Give the kernels named in KERNELS (functions in `namespace`) their inline Numba
    code; returns the functions registered, which must not be register_jitable too."""
    done = set()
    for name, (typer, lower) in KERNELS.items():
        fn = namespace[name]

        def typer_factory(context, typer=typer):
            return typer
        type_callable(fn)(typer_factory)
        lower_builtin(fn, types.VarArg(types.Any))(lower)
        done.add(fn)
    return done
