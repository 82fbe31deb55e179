"""ops.GradOperation: MindSpore's higher-order gradient function."""


class GradOperation:
    """`GradOperation(get_all, get_by_list, sens_param)(network, weights)(*inputs)` returns
    the gradients with MindSpore's output structure (see ForwardValueAndGrad)."""

    def __init__(self, get_all=False, get_by_list=False, sens_param=False):
        for name, value in (("get_all", get_all), ("get_by_list", get_by_list), ("sens_param", sens_param)):
            if not isinstance(value, bool):
                raise TypeError(f"For 'GradOperation', the '{name}' should be bool, but got {type(value).__name__}")
        self.get_all = get_all
        self.get_by_list = get_by_list
        self.sens_param = sens_param

    def __call__(self, network, weights=None):
        from ..grad import GradFunction
        fn = GradFunction(network, weights, self.get_all, self.get_by_list, self.sens_param)
        return lambda *args: fn(*args)[1]
