"""s2sgrad.heap: a compiled program's temporaries reuse heap memory from call to call
instead of being faulted in afresh. Each run is a new process, as malloc's settings
hold for a whole process. The control run (S2SGRAD_MALLOC=system) shows the program
does page-fault without the settings, so the first check can fail."""
import json
import os
import subprocess
import sys
import textwrap

import numpy as np

CHILD = textwrap.dedent("""
    import json, resource
    import numpy as np
    from s2sgrad import heap, nn, Tensor, Parameter

    class Net(nn.Cell):            # each call makes several 1.3 MB arrays (tapes, results, temporaries)
        def __init__(self):
            super().__init__()
            self.w = Parameter(Tensor(np.full((400, 400), 0.5)), name="w")

        def construct(self, x):
            y = np.exp(x * self.w)
            z = y * y + x
            return np.sum(z * y)

    net = Net()
    train = nn.ForwardValueAndGrad(net, weights=net.trainable_params(), get_by_list=True)
    x = Tensor(np.linspace(-1.0, 1.0, 160000).reshape(400, 400))
    for _ in range(3):
        loss, (dw,) = train(x)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(10):
        loss, (dw,) = train(x)
    faults = (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 10
    print(json.dumps({"applied": heap.applied, "faults": faults, "loss": float(loss.asnumpy()),
                      "dw00": float(dw.asnumpy()[0, 0])}))
""")


def _run(script, **env):
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          env={**os.environ, **env}, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_temporaries_are_not_faulted_in_again(tmp_path):
    script = tmp_path / "child.py"             # s2sgrad reads the network's source from a file
    script.write_text(CHILD)
    kept = _run(script)
    system = _run(script, S2SGRAD_MALLOC="system")
    assert kept["applied"] is True and system["applied"] is False
    assert system["faults"] > 100, system          # 1.3 MB arrays' fresh pages, each call
    assert kept["faults"] < 30, kept
    # the same numbers either way, and the right ones: the loss is sum(e^{3xw} + x e^{xw}),
    # so d/dw[0, 0] = 3x e^{3xw} + x^2 e^{xw} at x = -1, w = 0.5
    assert kept["loss"] == system["loss"] and kept["dw00"] == system["dw00"]
    x0, w = -1.0, 0.5
    want = 3 * x0 * np.exp(3 * x0 * w) + x0 * x0 * np.exp(x0 * w)
    assert np.isclose(kept["dw00"], want, rtol=1e-12)
