"""MindSpore's documentation example for nn.ForwardValueAndGrad, with only the
import changed from `mindspore` to `s2sgrad`."""
import numpy as np
from s2sgrad import Tensor, nn, common, ops, ParameterTuple, Parameter

class Net(nn.Cell):
    def __init__(self):
        super(Net, self).__init__()
        self.weight = Parameter(Tensor(np.ones([2, 2]).astype(np.float32)), name="weight")
        self.matmul = ops.MatMul()

    def construct(self, x):
        out = self.matmul(x, self.weight)
        return out

net = Net()
criterion = nn.SoftmaxCrossEntropyWithLogits()
net_with_criterion = nn.WithLossCell(net, criterion)
weight = ParameterTuple(net.trainable_params())
train_network = nn.ForwardValueAndGrad(net_with_criterion, weights=weight, get_all=True, get_by_list=True)
inputs = Tensor(np.ones([1, 2]).astype(np.float32))
labels = Tensor(np.ones([1, 2]).astype(np.float32))
result = train_network(inputs, labels)
print(result)
