"""One matrix product for every transpose combination: `gemm(x, y, ta, tb)` is
op(x) @ op(y), op being a transpose where its flag is true.

Plain Python runs np.dot. Under Numba (inline_kernels registers `lower_gemm` for
gemm and the matmul kernels) the product is one call to BLAS ?gemm through Numba's
own `numba_xxgemm` wrapper, emitted at the call site, with the flags as runtime
values: no compiled function at all, where np.dot costs about a second of compile
time for each layout combination (nn, tn and nt of C operands are three).

BLAS is column-major: the row-major result C = op(x) op(y) is stored as
Cᵀ = op(y)ᵀ op(x)ᵀ, and a row-major operand is its own transpose in column-major
order, so C- and F-ordered operands (transposes included) go to BLAS as they are;
other strided views are copied first, as np.dot does.
"""
import numpy as np
from llvmlite import ir
from numba import types
from numba.core import cgutils


def gemm(x, y, ta, tb):
    """op(x) @ op(y) with np.dot's results (1-d operands as in np.dot; a flag on one does nothing)."""
    return np.dot(x.T if ta else x, y.T if tb else y)


_KINDS = {types.float32: "s", types.float64: "d"}
_F_INT_MAX = 2 ** 31 - 1     # BLAS's Fortran int, as numba.np.linalg.check_c_int assumes


def _operand(context, builder, ty, val, left):
    """An operand of the product as BLAS sees it: (rows, cols, row_major, ld, data pointer).
    A 1-d operand is a row on the left and a column on the right, as in np.dot; C- and
    F-ordered operands are read in place (ld can be any value >= 1 on a length-1 axis)."""
    ary = context.make_array(ty)(context, builder, val)
    shape = cgutils.unpack_tuple(builder, ary.shape, ty.ndim)
    one = context.get_constant(types.intp, 1)
    data = builder.bitcast(ary.data, cgutils.voidptr_t)
    if ty.ndim == 1:
        ld = builder.select(builder.icmp_signed(">", shape[0], one), shape[0], one)
        return (one, shape[0], True, ld, data) if left else (shape[0], one, False, ld, data)
    row_major = ty.layout == "C"
    long_axis = shape[1] if row_major else shape[0]
    ld = builder.select(builder.icmp_signed(">", long_axis, one), long_axis, one)
    return shape[0], shape[1], row_major, ld, data


def result_type(x, y):
    """The Numba type of gemm(x, y, ...), or None where BLAS does not take the operands
    (ranks other than 1 and 2, dtypes other than one float32 or float64)."""
    if not (isinstance(x, types.Array) and isinstance(y, types.Array) and x.ndim in (1, 2) and y.ndim in (1, 2)
            and x.dtype == y.dtype and x.dtype in _KINDS):
        return None
    ndim = (x.ndim == 2) + (y.ndim == 2)
    return x.dtype if ndim == 0 else types.Array(x.dtype, ndim, "C")


def lower_gemm(context, builder, sig, args):
    """The code of op(x) @ op(y) for sig = (x, y, boolean, boolean) -> result_type(x, y):
    one BLAS gemm call (numba_xxgemm, Numba's wrapper of SciPy's BLAS), no Numba-compiled
    Python behind it. BLAS is column-major, so the row-major result C is computed as
    Cᵀ = op(y)ᵀ op(x)ᵀ (ldc = n); a row-major buffer reads as its own transpose."""
    ret = sig.return_type
    from numba.np.arrayobj import _empty_nd_impl
    from numba.np.linalg import check_blas_return, ensure_blas, make_constant_slot, make_contiguous
    from numba.core.imputils import impl_ret_new_ref
    ensure_blas()
    intp = context.get_value_type(types.intp)
    char, voidp = ir.IntType(8), cgutils.voidptr_t
    zero, one = ir.Constant(intp, 0), ir.Constant(intp, 1)
    with make_contiguous(context, builder, sig, args) as (csig, cargs):
        xt, yt = csig.args[:2]
        xr, xc, x_row, ldx, xdata = _operand(context, builder, xt, cargs[0], True)
        yr, yc, y_row, ldy, ydata = _operand(context, builder, yt, cargs[1], False)
        # a transpose flag on a 1-d operand does nothing, as .T does
        ta_ = cargs[2] if xt.ndim == 2 else ir.Constant(ir.IntType(1), 0)
        tb_ = cargs[3] if yt.ndim == 2 else ir.Constant(ir.IntType(1), 0)
        m, k = builder.select(ta_, xc, xr), builder.select(ta_, xr, xc)
        k2, n = builder.select(tb_, yc, yr), builder.select(tb_, yr, yc)
        with builder.if_then(builder.icmp_signed("!=", k, k2), likely=False):
            context.call_conv.return_user_exc(builder, ValueError, ("matmul: inner dimensions differ",))
        limit = ir.Constant(intp, _F_INT_MAX)
        too_big = builder.icmp_signed(">", m, limit)
        for v in (n, k, ldx, ldy):
            too_big = builder.or_(too_big, builder.icmp_signed(">", v, limit))
        with builder.if_then(too_big, likely=False):
            context.call_conv.return_user_exc(builder, OverflowError, ("matmul: too large for BLAS",))

        dtype = xt.dtype
        if isinstance(ret, types.Array):
            shapes = [s for s, keep in ((m, xt.ndim == 2), (n, yt.ndim == 2)) if keep]
            out = _empty_nd_impl(context, builder, ret, shapes)
            cdata = out.data
        else:                                  # vector . vector: a scalar on the stack
            cdata = cgutils.alloca_once(builder, context.get_value_type(dtype))
        size = builder.mul(builder.mul(m, n), ir.Constant(intp, context.get_abi_sizeof(
            context.get_value_type(dtype))))
        nonempty = builder.and_(builder.icmp_signed("!=", m, zero), builder.icmp_signed("!=", n, zero))
        with builder.if_then(nonempty):
            with builder.if_else(builder.icmp_signed("==", k, zero)) as (k_empty, k_full):
                with k_empty:
                    cgutils.memset(builder, cdata, size, 0)
                with k_full:
                    fnty = ir.FunctionType(ir.IntType(32), [char, char, char, intp, intp, intp, voidp, voidp,
                                                            intp, voidp, intp, voidp, voidp, intp])
                    fn = cgutils.get_or_insert_function(builder.module, fnty, "numba_xxgemm")

                    def trans(flag, row_major):
                        t, n_ = ir.Constant(char, ord("t")), ir.Constant(char, ord("n"))
                        return builder.select(flag, t, n_) if row_major else builder.select(flag, n_, t)
                    alpha = make_constant_slot(context, builder, dtype, 1.0)
                    beta = make_constant_slot(context, builder, dtype, 0.0)
                    status = builder.call(fn, (
                        ir.Constant(char, ord(_KINDS[dtype])), trans(tb_, y_row), trans(ta_, x_row), n, m, k,
                        builder.bitcast(alpha, voidp), ydata, ldy, xdata, ldx,
                        builder.bitcast(beta, voidp), builder.bitcast(cdata, voidp), builder.select(
                            builder.icmp_signed(">", n, one), n, one)))
                    check_blas_return(context, builder, status)
        if isinstance(ret, types.Array):
            return impl_ret_new_ref(context, builder, ret, out._getvalue())
        return builder.load(cdata)


def xgemm(ta, tb, m, n, k, a, lda, b, ldb, c, ldc):
    """BLAS ?gemm itself, column-major: c ← op(a) op(b), with op(a) m×k, op(b) k×n, and
    a, b, c 2-d arrays whose memory BLAS reads with leading dimensions lda, ldb, ldc
    (kernels.gemm_into works these out from the strides). Numba code only."""
    raise NotImplementedError("xgemm runs only in Numba-compiled code")


def xgemm_type(ta, tb, m, n, k, a, lda, b, ldb, c, ldc):
    arrays = (a, b, c)
    if not (all(isinstance(t, types.Array) and t.ndim == 2 and t.dtype == a.dtype for t in arrays)
            and a.dtype in _KINDS and c.mutable):
        return None
    if not all(isinstance(t, (types.Boolean, types.Integer)) for t in (ta, tb, m, n, k, lda, ldb, ldc)):
        return None
    return types.none


def lower_xgemm(context, builder, sig, args):
    from numba.np.linalg import check_blas_return, ensure_blas, make_constant_slot
    ensure_blas()
    intp = context.get_value_type(types.intp)
    char, voidp = ir.IntType(8), cgutils.voidptr_t

    def arg(i):
        return context.cast(builder, args[i], sig.args[i], types.intp)

    def trans(i):
        flag = context.cast(builder, args[i], sig.args[i], types.boolean)
        return builder.select(flag, ir.Constant(char, ord("t")), ir.Constant(char, ord("n")))

    def data(i):
        return builder.bitcast(context.make_array(sig.args[i])(context, builder, args[i]).data, voidp)
    dtype = sig.args[5].dtype
    fnty = ir.FunctionType(ir.IntType(32), [char, char, char, intp, intp, intp, voidp, voidp,
                                            intp, voidp, intp, voidp, voidp, intp])
    fn = cgutils.get_or_insert_function(builder.module, fnty, "numba_xxgemm")
    alpha = make_constant_slot(context, builder, dtype, 1.0)
    beta = make_constant_slot(context, builder, dtype, 0.0)
    status = builder.call(fn, (ir.Constant(char, ord(_KINDS[dtype])), trans(0), trans(1), arg(2), arg(3), arg(4),
                               builder.bitcast(alpha, voidp), data(5), arg(6), data(7), arg(8),
                               builder.bitcast(beta, voidp), data(9), arg(10)))
    check_blas_return(context, builder, status)
    return context.get_dummy_value()
