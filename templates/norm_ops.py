"""Adjoints of GELU, dropout, batch norm and layer norm. The fused backward primitives
(`primitives_norm.py`) carry the calculus; each adjoint also routes the gradients of
the mean and variance outputs (zeros when nothing uses them) so every use is exact.
xhat = (x - mean) / sqrt(var + eps)."""
# flake8: noqa: F821 -- names inside templates are primitives of the generated code.
from s2sgrad import primitives_norm as P
from . import adjoint, d


@adjoint(P.gelu)
def gelu(z, x, approximate):
    d[x] = gelu_grad(d[z], x, approximate)


@adjoint(P.dropout)
def dropout(z, x, keep_prob):
    d[x] = dropout_grad(d[z[0]], z[1], keep_prob)        # MindSpore's DropoutGrad: the same mask


@adjoint(P.batch_norm_train)
def batch_norm_train(z, x, gamma, beta, eps, ranks):
    d[x] = batch_norm_train_dx(d[z[0]], d[z[1]], d[z[2]], x, gamma, z[1], z[2], eps)
    d[gamma] = batch_norm_dgamma(d[z[0]], x, z[1], z[2], eps)         # sum(dy * xhat)
    d[beta] = batch_norm_dbeta(d[z[0]])                               # sum(dy)


@adjoint(P.batch_norm_infer)
def batch_norm_infer(z, x, gamma, beta, mean, var, eps, ranks):
    d[x] = batch_norm_infer_dx(d[z], gamma, var, eps)                 # dy * gamma / sqrt(var + eps)
    d[gamma] = batch_norm_dgamma(d[z], x, mean, var, eps)
    d[beta] = batch_norm_dbeta(d[z])
    d[mean] = -batch_norm_dbeta(d[z]) * gamma / sqrt(var + eps)
    d[var] = batch_norm_dgamma(d[z], x, mean, var, eps) * gamma * -0.5 / (var + eps)


@adjoint(P.layer_norm)
def layer_norm(z, x, gamma, beta, begin_norm_axis, begin_params_axis, epsilon):
    d[x] = layer_norm_dx(d[z[0]], d[z[1]], d[z[2]], x, gamma, z[1], z[2], epsilon)
    d[gamma] = layer_norm_dgamma(d[z[0]], x, z[1], z[2], gamma, epsilon)
    d[beta] = layer_norm_dbeta(d[z[0]], gamma)
