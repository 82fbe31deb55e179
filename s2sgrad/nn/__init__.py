"""MindSpore-style `nn`: Cell, layers, losses and gradient wrappers."""
from .cell import Cell
from .layers import CellList, Dense, ReLU, Sigmoid, Tanh, SequentialCell, get_activation
from .loss import (LossBase, SoftmaxCrossEntropyWithLogits, MSELoss, L1Loss, SmoothL1Loss, BCELoss,
                   BCEWithLogitsLoss, NLLLoss, CrossEntropyLoss)
from .wrap import WithLossCell, ForwardValueAndGrad, TrainOneStepCell
from .optim import Optimizer, SGD, Momentum, Adam, AdamWeightDecay, AdamW
from .activation import GELU, Softmax, LogSoftmax, LeakyReLU
from .dropout import Dropout
from .normalization import BatchNorm1d, BatchNorm2d, LayerNorm
from .embedding import Embedding
from .conv import Conv2d
from .pooling import MaxPool2d, AvgPool2d
from .basic import Flatten
from .rnn import LSTM, LSTMCell
