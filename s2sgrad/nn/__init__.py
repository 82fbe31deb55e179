"""MindSpore-style `nn`: Cell, layers, losses and gradient wrappers."""
from .cell import Cell
from .layers import CellList, Dense, ReLU, Sigmoid, Tanh, SequentialCell, get_activation
from .loss import LossBase, SoftmaxCrossEntropyWithLogits, MSELoss
from .wrap import WithLossCell, ForwardValueAndGrad
